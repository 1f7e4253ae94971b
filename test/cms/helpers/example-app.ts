// Copies an example app from examples/ into a fresh temp folder whose node_modules points at this
// folder's install, so each test boots exactly the committed example, in isolation.
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cmsDir = resolve(here, '..');
const examplesDir = resolve(cmsDir, '..', '..', 'examples');
// Left behind by running an example in place; never part of what is tested.
const SKIP = new Set(['node_modules', '.env', '.tmp', '.mailroom', 'outbox', 'database', '.strapi', 'dist', 'build']);

export interface ExampleApp {
  dir: string;
  remove(): Promise<void>;
}

export async function copyExample(name: 'strapi' | 'payload'): Promise<ExampleApp> {
  const dir = await mkdtemp(join(tmpdir(), `mailroom-${name}-app-`));
  await cp(join(examplesDir, name), dir, {
    recursive: true,
    filter: (source) => !SKIP.has(basename(source)) && !/\.db$|\.sqlite$|^\.strapi-updater\.json$/.test(basename(source)),
  });
  await symlink(join(cmsDir, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
