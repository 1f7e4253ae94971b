// The built CLI (dist/src/cli/main.js) for suites that run `mailroom` as a user does. Building is
// shared: several suites run at once in separate workers, and one rebuilding dist/ while another
// spawns the CLI would make that CLI load half-written modules. So dist/ is rebuilt only when a
// source is newer than it (npm test has just built it), and one build at a time (a lock folder).
import { execFile } from 'node:child_process';
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '../..');
/** The CLI entry point as built. */
export const CLI = join(ROOT, 'dist/src/cli/main.js');
const LOCK = join(ROOT, 'dist/.build-lock');

/** Builds dist/ when a source is newer than the built CLI; waits for a build another suite runs. */
export async function builtCli(): Promise<string> {
  await mkdir(join(ROOT, 'dist'), { recursive: true });
  for (;;) {
    try {
      await mkdir(LOCK);
      break;
    } catch {
      // A lock left by a worker that died mid-build is taken over after a minute.
      const age = await stat(LOCK).then((info) => Date.now() - info.mtimeMs, () => 0);
      if (age > 60_000) await rmdir(LOCK).catch(() => undefined);
      await new Promise((done) => setTimeout(done, 100));
    }
  }
  try {
    if (await isStale()) {
      // tsc emits even when a file elsewhere has a type error; the CLI under test is what it emits.
      await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: ROOT }).catch(() => undefined);
    }
  } finally {
    await rmdir(LOCK);
  }
  return CLI;
}

async function isStale(): Promise<boolean> {
  const built = await stat(CLI).then((info) => info.mtimeMs, () => 0);
  return (await newestSource()) > built;
}

async function newestSource(): Promise<number> {
  let newest = 0;
  for (const folder of ['src', 'adapters']) {
    for (const entry of await readdir(join(ROOT, folder), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
    }
  }
  return newest;
}
