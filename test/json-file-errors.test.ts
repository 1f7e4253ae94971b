// A JSON file that does not parse (the configuration file, template data for send or preview) is
// said with the line and column of the mistake, never the characters around it: Node's JSON.parse
// message quotes them, and such files hold passwords, tokens and reset links.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtCli } from './helpers/built-cli.js';
import { runCli } from './helpers/cli.js';

const SECRET = 'Secr3tResetToken';
let cwd: string;

beforeAll(async () => {
  [cwd] = await Promise.all([mkdtemp(join(tmpdir(), 'mailroom-json-errors-')), builtCli()]);
  // The value is not quoted: JSON.parse stops on it, and Node's message would quote it.
  await writeFile(join(cwd, 'data.json'), `{\n  "name": "Ann",\n  "token": ${SECRET}\n}`);
});

describe('a JSON file that does not parse', () => {
  it('send --data and preview --data give the line, not the text', async () => {
    for (const args of [['send', '--to', 'ann@example.com', '--from', 'shop@example.com', '--template', 'test-email', '--data', 'data.json', '--dsn', 'memory://'], ['preview', 'test-email', '--data', 'data.json']]) {
      const run = await runCli(args, { cwd });
      expect(run.code, args[0]).toBe(1);
      expect(run.stderr, args[0]).toMatch(/^error CONFIG: \[mailroom\] .*data\.json is not valid JSON: unexpected character near line 3, column \d+$/m);
      expect(run.stdout + run.stderr, args[0]).not.toMatch(/Secr3t|Reset|Token/);
    }
  });

  it('the configuration file gives the line, not the text', async () => {
    const dir = await mkdtemp(join(cwd, 'config-'));
    await writeFile(join(dir, 'mailroom.config.json'), `{\n  "dsn": "memory://",\n  "from": ${SECRET}\n}`);
    const run = await runCli(['verify'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error CONFIG: \[mailroom\] mailroom\.config\.json is not valid JSON: unexpected character near line 3, column \d+$/m);
    expect(run.stdout + run.stderr).not.toMatch(/Secr3t|Reset|Token/);
  });
});
