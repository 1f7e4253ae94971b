// Starts ./smtp-sink.ts in a child process and returns its port and CA.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface SinkProcess {
  port: number;
  ca: string;
  user: string;
  pass: string;
  stop(): void;
}

export function startSinkProcess(user = 'bench@example.com', pass = 'bench-Pa55word'): Promise<SinkProcess> {
  const script = fileURLToPath(new URL('./smtp-sink.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, user, pass], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        const { port, ca } = JSON.parse(line) as { port: number; ca: string };
        resolve({ port, ca, user, pass, stop: () => child.kill('SIGTERM') });
      }
    });
    child.once('exit', (code) => reject(new Error(`the SMTP sink exited (${code})`)));
  });
}
