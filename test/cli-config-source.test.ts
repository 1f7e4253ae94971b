// The configuration file named by MAILROOM_CONFIG: a name that points nowhere says it came from
// the variable (which is easy to forget in a shell or a unit file), with what to do about it.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtCli } from './helpers/built-cli.js';
import { runCli } from './helpers/cli.js';

let cwd: string;

beforeAll(async () => {
  [cwd] = await Promise.all([mkdtemp(join(tmpdir(), 'mailroom-config-source-')), builtCli()]);
});

describe('MAILROOM_CONFIG', () => {
  it('naming a file that does not exist is an error naming the variable, with a remedy', async () => {
    const run = await runCli(['doctor'], { cwd, env: { MAILROOM_CONFIG: 'config/mailroom.config.mjs' } });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/ERROR\s+configuration\s+.*the configuration file config\/mailroom\.config\.mjs \(from MAILROOM_CONFIG\) does not exist/);
    expect(run.stdout).toMatch(/remedy: Fix or unset MAILROOM_CONFIG/);
  });

  it('set but empty, leaves the file in the working directory to be found', async () => {
    await writeFile(join(cwd, 'mailroom.config.json'), JSON.stringify({ dsn: 'memory://', from: 'shop@example.com' }));
    const run = await runCli(['doctor', '--json'], { cwd, env: { MAILROOM_CONFIG: '' } });
    const findings = JSON.parse(run.stdout) as Array<{ check: string; message: string }>;
    expect(findings.find((finding) => finding.check === 'configuration')?.message).toBe('read ./mailroom.config.json');
  });
});
