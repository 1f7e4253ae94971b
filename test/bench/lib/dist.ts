// mailroom as users run it: the compiled package in dist/ (`npm run bench` builds it first), not
// the sources through tsx, whose transform adds a name-keeping call to every closure it creates.
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The project's root folder. */
export const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** Imports a module of the built package, e.g. `built('src/index.js')`. */
export const built = (path: string): Promise<unknown> => import(pathToFileURL(join(ROOT, 'dist', path)).href);
