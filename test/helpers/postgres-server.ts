// Starts a real PostgreSQL (Debian's `postgresql` package, installed by test/setup-machine.sh) on a
// free loopback port for one test file, in a temporary data folder, and stops it afterwards.
// postgres refuses to run as root, so under root the cluster belongs to "nobody".
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.js';

export interface PostgresHandle {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication on loopback). */
  url: string;
  stop(): Promise<void>;
}

const UNPRIVILEGED = 65534; // "nobody"

/**
 * Where initdb and postgres live: on the PATH (a source build in /usr/local/bin), else Debian's
 * versioned folder /usr/lib/postgresql/<major>/bin, newest first (Debian puts only wrappers on the PATH).
 */
export function postgresBinaries(): string {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath.replace(/\/initdb$/, '');
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed: run bash test/setup-machine.sh (apt-get install postgresql)');
  return join(root, versions[0]!, 'bin');
}

export async function startPostgres(): Promise<PostgresHandle> {
  const bin = postgresBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'mailroom-pg-'));
  const data = join(dir, 'data');
  const asOther = process.getuid?.() === 0 ? { uid: UNPRIVILEGED, gid: UNPRIVILEGED } : {};
  if ('uid' in asOther) {
    chownSync(dir, UNPRIVILEGED, UNPRIVILEGED);
    chmodSync(dir, 0o700);
  }
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync'], { encoding: 'utf8', cwd: dir, ...asOther });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.error?.message}`);
  const port = await freePort();
  // fsync off: the data folder is thrown away after the test file; nothing needs to survive a crash.
  const child: ChildProcess = spawn(
    join(bin, 'postgres'),
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200'],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, ...asOther },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`postgres did not start: ${output}`)), 20_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`postgres exited (${code}): ${output}`));
    });
  });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        // SIGINT: "fast" shutdown, open sessions are ended.
        child.kill('SIGINT');
      }),
  };
}
