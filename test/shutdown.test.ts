// Nothing mailroom opens keeps a process alive: an idle pooled SMTP connection is closed on its own
// (a script that never calls close() exits), and the Strapi and Payload integrations close their
// mailer when the CMS shuts down (strapi.destroy(), payload.destroy()).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smtpAdapter } from '../adapters/smtp.js';
import { mailroomAdapter } from '../src/integrations/payload.js';
import { init } from '../src/integrations/strapi.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';
import { createTestTls, type TestTls } from './helpers/tls.js';

const USER = 'shop@example.com';
const PASS = 'app-password-1';
const sender = fileURLToPath(new URL('./fixtures/pooled-sender.ts', import.meta.url));

let tls: TestTls;
let server: TestSmtpServer;

beforeAll(async () => {
  tls = await createTestTls();
  server = await startSmtpServer({ tls, users: { [USER]: PASS } });
});
afterAll(async () => {
  await server?.close();
});

// A long idle timeout: a connection that closes within the test closed because of the shutdown.
const adapter = () => smtpAdapter({ host: server.host, port: server.port, auth: { user: USER, pass: PASS }, tls: { ca: tls.ca } } as never);
const until = async (condition: () => boolean, what: string) => {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 5_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('a pooled SMTP connection', () => {
  it('does not keep a script alive that sent a message and never called close()', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', sender, JSON.stringify({ host: server.host, port: server.port, ca: tls.ca, user: USER, pass: PASS })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Far longer than the idle close needs, far shorter than nodemailer's own 4-minute idle timeout.
    const exited = await new Promise<number | null | 'still running'>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('still running');
      }, 20_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    expect(exited, stderr).toBe(0);
    expect(stdout).toContain('"sent"');
    await until(() => server.open.now === 0, 'the server to see the connection closed');
  }, 30_000);
});

describe('CMS shutdown closes the mailer', () => {
  it('payload.destroy() closes the mailer the adapter created: its SMTP connection is closed at once, and a new Payload gets a new mailer', async () => {
    const destroyed: string[] = [];
    // Payload passes its instance to the adapter; destroy is an own property of BasePayload.
    const payload = { destroy: async () => void destroyed.push('payload') };
    const build = mailroomAdapter({ adapters: [adapter()], journal: false, defaultFromAddress: USER, defaultFromName: 'Shop' });
    const email = build({ payload });
    await email.sendEmail({ to: 'ann@example.com', subject: 'Before shutdown', text: 'x' });
    expect(server.open.now).toBeGreaterThan(0);

    await payload.destroy();
    expect(destroyed).toEqual(['payload']);
    await until(() => server.open.now === 0, 'the pooled connection to close');
    await expect(email.mailer.send({ from: USER, to: 'ann@example.com', text: 'x' })).rejects.toThrow(/after close\(\)/);

    const next = build({ payload: { destroy: async () => undefined } });
    expect(next.mailer).not.toBe(email.mailer);
    await next.mailer.close();
  });

  it('two Payload instances of one config share the mailer: the last payload.destroy() closes it', async () => {
    const build = mailroomAdapter({ adapters: [adapter()], journal: false, defaultFromAddress: USER, defaultFromName: 'Shop' });
    const first = { destroy: async () => undefined };
    const second = { destroy: async () => undefined };
    const a = build({ payload: first });
    const b = build({ payload: second });
    expect(b.mailer).toBe(a.mailer);
    await first.destroy();
    await first.destroy();
    expect((await b.sendEmail({ to: 'ann@example.com', subject: 'Still open', text: 'x' })).status).toBe('sent');
    await second.destroy();
    await expect(b.sendEmail({ to: 'ann@example.com', subject: 'Closed', text: 'x' })).rejects.toThrow(/after close\(\)/);
  });

  it('payload.destroy() leaves a mailer passed in as `mailer` to the app', async () => {
    const { createMailer } = await import('../src/index.js');
    const own = createMailer({ adapters: [adapter()], journal: false });
    const payload = { destroy: async () => undefined };
    const email = mailroomAdapter({ mailer: own, defaultFromAddress: USER, defaultFromName: 'Shop' })({ payload });
    await payload.destroy();
    const result = await email.sendEmail({ to: 'ann@example.com', subject: 'Still open', text: 'x' });
    expect(result.status).toBe('sent');
    await own.close();
  });

  it('strapi.destroy() closes the provider\'s mailer after Strapi\'s own shutdown ran', async () => {
    const order: string[] = [];
    const strapi = { destroy: async () => void order.push('strapi') };
    (globalThis as { strapi?: unknown }).strapi = strapi;
    try {
      const provider = init({ adapters: [adapter()], journal: false }, { defaultFrom: USER });
      provider.mailer.on('sent', () => order.push('sent'));
      await provider.send({ to: 'ann@example.com', subject: 'Before shutdown', text: 'x' });
      expect(server.open.now).toBeGreaterThan(0);
      await strapi.destroy();
      expect(order).toEqual(['sent', 'strapi']);
      await until(() => server.open.now === 0, 'the pooled connection to close');
      await expect(provider.send({ to: 'ann@example.com', subject: 'After', text: 'x' })).rejects.toThrow(/after close\(\)/);
    } finally {
      delete (globalThis as { strapi?: unknown }).strapi;
    }
  });
});
