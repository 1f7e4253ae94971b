// Production without a DSN: the outbox is a fine default for a first try, but with NODE_ENV=production
// and nothing configured it would put password resets in a folder and journal them "sent". Then
// createMailer, and the Strapi and Payload integrations at startup, refuse with a CONFIG error
// naming MAILROOM_DSN; an explicit outbox:// stays allowed; elsewhere the default is said once.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMailer, MailError } from '../src/index.js';
import { mailroomAdapter } from '../src/integrations/payload.js';
import { init } from '../src/integrations/strapi.js';
import { TSX_LOADER } from './helpers/tsx-loader.js';
import { builtCli } from './helpers/built-cli.js';
import { runCli } from './helpers/cli.js';

const saved = { NODE_ENV: process.env.NODE_ENV, MAILROOM_DSN: process.env.MAILROOM_DSN };
beforeEach(() => {
  delete process.env.MAILROOM_DSN;
});
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

function refusal(run: () => unknown): MailError {
  try {
    run();
  } catch (error) {
    return error as MailError;
  }
  throw new Error('expected a refusal');
}

describe('with NODE_ENV=production and no DSN', () => {
  beforeEach(() => {
    process.env.NODE_ENV = 'production';
  });

  it('createMailer refuses with CONFIG naming MAILROOM_DSN', () => {
    const error = refusal(() => createMailer({ journal: false }));
    expect(error).toBeInstanceOf(MailError);
    expect(error.code).toBe('CONFIG');
    expect(error.message).toContain('MAILROOM_DSN');
    expect(error.remedy).toMatch(/MAILROOM_DSN=.*outbox:\/\/\.\/outbox/);
  });

  it('the Strapi provider refuses at init, the Payload adapter when Payload initializes it', () => {
    expect(refusal(() => init({ journal: false }, {})).message).toContain('MAILROOM_DSN');
    // Strapi's config passes dsn: env('MAILROOM_DSN'), which is undefined when the variable is unset.
    expect(refusal(() => init({ dsn: undefined, journal: false }, {})).code).toBe('CONFIG');
    const adapter = mailroomAdapter({ journal: false, defaultFromAddress: 'shop@example.com', defaultFromName: 'Shop' });
    expect(refusal(() => adapter({ payload: {} })).message).toContain('MAILROOM_DSN');
  });

  it('an explicit outbox, a DSN in MAILROOM_DSN or adapters are allowed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-prod-outbox-'));
    const explicit = createMailer({ dsn: `outbox://${dir}`, journal: false });
    expect((await explicit.send({ from: 'a@example.com', to: 'b@example.com', text: 'x' })).adapter).toBe('outbox');
    await explicit.close();
    process.env.MAILROOM_DSN = `outbox://${dir}`;
    const fromEnv = createMailer({ journal: false });
    expect((await fromEnv.send({ from: 'a@example.com', to: 'b@example.com', text: 'x' })).adapter).toBe('outbox');
    await fromEnv.close();
  });
});

describe('elsewhere, the implicit outbox', () => {
  it('is said once on stderr, naming MAILROOM_DSN, however many mailers are created', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-dev-outbox-'));
    const script = `
      import { createMailer } from ${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)};
      for (let i = 0; i < 3; i++) await createMailer({ journal: false }).close();
    `;
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development' };
    delete env.MAILROOM_DSN;
    const run = spawnSync(process.execPath, ['--import', TSX_LOADER, '--input-type=module', '-e', script], { cwd: dir, env, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const warnings = run.stderr.split('\n').filter((line) => line.includes('MailroomWarning'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('MAILROOM_DSN is not set');
  });
});

describe('the mailroom command with NODE_ENV=production and no DSN', () => {
  it('refuses to send, test, verify or start a worker, and still reads the journal and the configuration', async () => {
    await builtCli();
    const cwd = await mkdtemp(join(tmpdir(), 'mailroom-prod-cli-'));
    const env = { NODE_ENV: 'production', MAILROOM_FROM: 'shop@example.com' };
    const refused = [
      ['send', '--to', 'ann@example.com', '--text', 'hi'],
      ['test', '--to', 'ann@example.com'],
      ['verify'],
      ['worker', '--queue', 'redis://127.0.0.1:1'],
    ];
    for (const args of refused) {
      const run = await runCli(args, { cwd, env, timeoutMs: 20_000 });
      expect(run.code, args[0]).toBe(1);
      expect(run.stderr, args[0]).toMatch(/^error CONFIG: \[mailroom\] no mail transport is configured: MAILROOM_DSN is not set/m);
      expect(run.stderr, args[0]).toMatch(/^remedy: Set MAILROOM_DSN to your provider/m);
    }
    expect(existsSync(join(cwd, 'outbox')), 'nothing written to the outbox').toBe(false);
    expect(existsSync(join(cwd, '.mailroom')), 'no journal created').toBe(false);

    const doctor = await runCli(['doctor'], { cwd, env });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/ERROR\s+configuration\s+.*no mail transport is configured/);

    // An explicit outbox stays allowed, and reading the journal needs no transport.
    const sent = await runCli(['send', '--to', 'ann@example.com', '--text', 'hi'], { cwd, env: { ...env, MAILROOM_DSN: 'outbox://./outbox' } });
    expect(sent.code, sent.stderr).toBe(0);
    const listed = await runCli(['journal'], { cwd, env });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('ann@example.com');
  }, 60_000);
});
