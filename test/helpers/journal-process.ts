// Runs test/fixtures/journal-sender.ts in a child process: as another user when the tests run as
// root (root writes to read-only files, so a read-only journal can only be shown as someone else),
// and optionally with the SQLite packages' native bindings hidden, as after an install whose
// scripts were skipped.
import { spawn } from 'node:child_process';
import { chmodSync, statSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TSX_LOADER } from './tsx-loader.js';

const sender = fileURLToPath(new URL('../fixtures/journal-sender.ts', import.meta.url));
const UNPRIVILEGED = 65534; // "nobody"

export interface SenderRun {
  code: number | null;
  lines: Array<Record<string, unknown>>;
  stderr: string;
}

export interface SenderOptions {
  cwd: string;
  /** Run as an unprivileged user when this process is root. */
  unprivileged?: boolean;
  /** Extra node arguments, e.g. from `hideSqliteBinding()`. */
  nodeArgs?: string[];
}

export function runJournalSender(plan: unknown, options: SenderOptions): Promise<SenderRun> {
  const asOther = options.unprivileged && process.getuid?.() === 0 ? { uid: UNPRIVILEGED, gid: UNPRIVILEGED } : {};
  if ('uid' in asOther) {
    letOthersReach(sender);
    letOthersReach(process.execPath);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', TSX_LOADER, sender, JSON.stringify(plan)], {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MAILROOM_DSN: '', NODE_ENV: 'test' },
      ...asOther,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const lines = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ code, lines, stderr });
    });
  });
}

/**
 * Lets the unprivileged child reach a file: every folder above it gets the search (x) bit for
 * others. A clone in a private folder (mktemp -d makes it 0700) would otherwise hide the repository,
 * its node_modules and Node itself from that user, and the child would die before its first line.
 */
function letOthersReach(file: string): void {
  const { root } = parse(file);
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
    if (dir === root) break;
  }
}

/** A folder any user can read and write (the child may run as another user). */
export async function openFolder(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o777);
  return dir;
}

/**
 * Node arguments that make `require(name)` load a copy of each SQLite package named (sqlite3,
 * better-sqlite3) without its compiled binding, as after an install whose scripts were skipped:
 * the `bindings` package then throws its real "Could not locate the bindings file" error (for
 * better-sqlite3 when a database is opened). Default: both.
 */
export async function hideSqliteBinding(packages: Array<'sqlite3' | 'better-sqlite3'> = ['sqlite3', 'better-sqlite3']): Promise<string[]> {
  const require = createRequire(import.meta.url);
  const root = await openFolder('mailroom-nobinding-');
  await mkdir(join(root, 'node_modules'), { recursive: true });
  await symlink(dirname(require.resolve('bindings/package.json')), join(root, 'node_modules', 'bindings'));
  const mains: Record<string, string> = {};
  for (const name of packages) {
    const realPackage = dirname(require.resolve(`${name}/package.json`));
    const copy = join(root, 'node_modules', name);
    await cp(realPackage, copy, { recursive: true, filter: (source) => !source.startsWith(join(realPackage, 'build')) });
    mains[name] = require.resolve(name).replace(realPackage, copy);
  }
  const preload = join(root, 'hide-sqlite.cjs');
  await writeFile(
    preload,
    `const Module = require('node:module');
const hidden = ${JSON.stringify(mains)};
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return Object.hasOwn(hidden, request) ? hidden[request] : resolveFilename.call(this, request, ...rest);
};
`,
  );
  await chmod(root, 0o755);
  return ['--require', preload];
}
