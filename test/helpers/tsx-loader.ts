// tsx's loader by absolute URL, for `node --import` in a child process that runs in a folder of its
// own (a temp dir), where the bare name `tsx` would not resolve.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const TSX_LOADER = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
