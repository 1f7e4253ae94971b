// `mailroom alerts test`, run as a user does (the built CLI in a child process): one test alert per
// channel of the configuration file, each channel's result in a table, a failing channel's error
// with its remedy underneath, exit code 1 when any failed, and no channel URL or secret printed.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli } from './helpers/built-cli.js';
import { runCli } from './helpers/cli.js';
import { startAlertReceiver, type AlertReceiver } from './helpers/alert-receiver.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';

const SLACK_PATH = '/services/T0SHOP001/B0ALERTS1/slackHookToken0123456789';
const TEAMS_PATH = '/workflows/4f1c/triggers/manual/paths/invoke?api-version=1&sig=TeamsSigSecret0123456789abcdef';
const DISCORD_PATH = '/api/webhooks/1156588479912874087/DiscordTokenSecret-0123456789abcdefXYZ';
const WEBHOOK_SECRET = 'whsec-alerts-0123456789-abcdef';

let dir: string;
let slack: AlertReceiver;
let teams: AlertReceiver;
let discord: AlertReceiver;
let hook: AlertReceiver;
let relay: TestSmtpServer;

beforeAll(async () => {
  await builtCli();
  dir = await mkdtemp(join(tmpdir(), 'mailroom-alerts-cli-'));
  slack = await startAlertReceiver({ status: 200, body: 'ok' });
  teams = await startAlertReceiver({ status: 202, body: '' });
  discord = await startAlertReceiver({ status: 404, body: '{"message": "Unknown Webhook", "code": 10015}' });
  hook = await startAlertReceiver({ status: 200, body: '' });
  relay = await startSmtpServer({ authOptional: true });
}, 120_000);

afterAll(async () => {
  await Promise.all([slack, teams, discord, hook, relay].map((server) => server?.close()));
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(channels: unknown[]): Promise<void> {
  await writeFile(join(dir, 'mailroom.config.json'), JSON.stringify({ dsn: 'memory://', from: 'shop@example.com', alerts: { site: 'shop.test', channels } }));
}

describe('mailroom alerts test', () => {
  it('sends one test alert per channel and prints each result; a failing channel shows its error and remedy, exit 1', async () => {
    await writeConfig([
      { type: 'slack', url: `${slack.url}${SLACK_PATH}` },
      { type: 'teams', url: `${teams.url}${TEAMS_PATH}` },
      { type: 'discord', url: `${discord.url}${DISCORD_PATH}` },
      { type: 'webhook', url: `${hook.url}/alerts`, secret: WEBHOOK_SECRET },
      { type: 'email', to: 'ops@example.com', dsn: `smtp://localhost:${relay.port}?requireTLS=false` },
    ]);
    const run = await runCli(['alerts', 'test'], { cwd: dir });
    expect(run.code).toBe(1);
    const rows = run.stdout.split('\n');
    expect(rows[0]).toMatch(/^CHANNEL +RESULT +TIME$/);
    expect(rows.find((row) => row.startsWith('slack (127.0.0.1:'))).toMatch(/ sent +(\d+ ms|\d+\.\d s)$/);
    expect(rows.find((row) => row.startsWith('teams (127.0.0.1:'))).toMatch(/ sent /);
    expect(rows.find((row) => row.startsWith('discord (127.0.0.1:'))).toMatch(/ failed /);
    expect(rows.find((row) => row.startsWith('webhook (127.0.0.1:'))).toMatch(/ sent /);
    expect(rows.find((row) => row.startsWith('email (1 recipient, own chain)'))).toMatch(/ sent /);
    expect(run.stdout).toMatch(/discord \(127\.0\.0\.1:\d+\) failed: CONFIG 404\n {2}.*Discord refused the alert: 404 \{"message": "Unknown Webhook", "code": 10015\}\n {2}remedy: The webhook was deleted: create a new one/);
    expect(run.stdout).toMatch(/1 of 5 alert channel\(s\) failed\n$/);
    // Said once, in the report: not again as a process warning.
    expect(run.stderr).toBe('');

    // Each service got exactly one test alert, in its own format.
    expect(slack.requests).toHaveLength(1);
    expect((slack.requests[0]!.json as { blocks: Array<{ type: string; text?: { text: string } }> }).blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '[shop.test] Test alert', emoji: false } });
    expect((teams.requests[0]!.json as { attachments: Array<{ contentType: string }> }).attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(hook.requests[0]!.json).toMatchObject({ trigger: 'test', code: 'TEST', title: '[shop.test] Test alert' });
    expect(hook.requests[0]!.headers['mailroom-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(relay.messages).toHaveLength(1);
    expect(relay.messages[0]!.to).toEqual(['ops@example.com']);

    const printed = `${run.stdout}\n${run.stderr}`;
    for (const secret of [SLACK_PATH, 'TeamsSigSecret0123456789abcdef', 'DiscordTokenSecret-0123456789abcdefXYZ', WEBHOOK_SECRET]) expect(printed).not.toContain(secret);
  });

  it('all channels working: exit 0; --json lists each channel', async () => {
    await writeConfig([{ type: 'slack', url: `${slack.url}${SLACK_PATH}` }]);
    const run = await runCli(['alerts', 'test', '--json'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([{ channel: expect.stringMatching(/^slack \(127\.0\.0\.1:\d+\)$/), ok: true, durationMs: expect.any(Number) }]);
  });

  it('no alerts in the configuration: a CONFIG error that says what to add', async () => {
    await writeFile(join(dir, 'mailroom.config.json'), JSON.stringify({ dsn: 'memory://' }));
    const run = await runCli(['alerts', 'test'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error CONFIG: \[mailroom\] no alert channel is configured in \.\/mailroom\.config\.json\nremedy: Add alerts: \{ channels: \[/);
  });
});
