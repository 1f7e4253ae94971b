// Runs a TypeScript fixture (test/fixtures/<name>.ts) in a child Node process with its plan as JSON
// in argv[2], for tests that need several real processes sharing one store, queue or sink.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TSX_LOADER } from './tsx-loader.js';

export interface FixtureRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The stdout lines that are JSON objects, parsed. */
  lines: Array<Record<string, unknown>>;
}

export interface FixtureProcess {
  child: ChildProcess;
  done: Promise<FixtureRun>;
}

export function startFixture(name: string, plan: unknown, env: NodeJS.ProcessEnv = {}): FixtureProcess {
  const file = fileURLToPath(new URL(`../fixtures/${name}.ts`, import.meta.url));
  const child = spawn(process.execPath, ['--import', TSX_LOADER, file, JSON.stringify(plan)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MAILROOM_DSN: '', NODE_ENV: 'test', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<FixtureRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const lines = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ code, signal, stdout, stderr, lines });
    });
  });
  return { child, done };
}

export function runFixture(name: string, plan: unknown, env?: NodeJS.ProcessEnv): Promise<FixtureRun> {
  return startFixture(name, plan, env).done;
}
