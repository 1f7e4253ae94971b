// Runs the built `mailroom` command (see ./built-cli.ts, whose builtCli() a suite awaits first) as a user does: a child process with a
// clean environment (no MAILROOM_* but those given) and its own working directory.
import { spawn } from 'node:child_process';
import { CLI } from './built-cli.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when the command was still running at `timeoutMs` and was killed (a hang, not an exit). */
  timedOut?: boolean;
}

export interface CliRunOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Kills the command after this long, so a test of "it exits" fails instead of leaving it running. */
  timeoutMs?: number;
}

export function runCli(args: string[], options: CliRunOptions): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const deadline = options.timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(deadline);
      resolvePromise({ code, stdout, stderr, ...(timedOut ? { timedOut } : {}) });
    });
  });
}
