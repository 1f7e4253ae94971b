// `mailroom events replay` and the journal commands' delivery views, run as a user runs them: the
// built CLI in a child process, on a SQLite journal a real send wrote.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../src/journal/journal.js';
import { builtCli } from './helpers/built-cli.js';
import { runCli } from './helpers/cli.js';
import { fixture } from './helpers/webhooks.js';

let cwd: string;
let entryId: string;
const run = (args: string[]) => runCli([...args, '--journal', join(cwd, 'journal.sqlite')], { cwd });

beforeAll(async () => {
  await builtCli();
  cwd = await mkdtemp(join(tmpdir(), 'mailroom-events-cli-'));
  const sent = await run(['send', '--dsn', 'memory://', '--from', 'shop@example.com', '--to', 'camille@example.com', '--to', 'nobody@example.com', '--subject', 'Order 1042', '--text', 'Thanks']);
  expect(sent.code).toBe(0);
  const listed = JSON.parse((await run(['journal', '--json'])).stdout) as JournalEntry[];
  entryId = listed[0]!.id;
  expect(listed[0]!.providerMessageId).toBe('memory-1');
  // A Brevo batch (documented shape) about that message: camille delivered, nobody hard-bounced.
  const batch = (fixture('brevo-hard-bounce-batch').body as Record<string, unknown>[]).map((event) => ({ ...event, 'message-id': 'memory-1' }));
  await writeFile(join(cwd, 'brevo-batch.json'), JSON.stringify(batch));
}, 120_000);
afterAll(() => rm(cwd, { recursive: true, force: true }));

describe('mailroom events replay', () => {
  it('--dry-run prints the events and records nothing', async () => {
    const dry = await run(['events', 'replay', 'brevo-batch.json', '--provider', 'brevo', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/bounced\s+nobody@example\.com\s.*bounced: RecipientError: 550 5\.1\.1.*dry run/);
    expect(dry.stdout).toMatch(/delivered\s+camille@example\.com\s.*dry run/);
    const entry = JSON.parse((await run(['journal', 'show', entryId, '--json'])).stdout) as JournalEntry;
    expect(entry.delivery).toBeUndefined();
  });

  it('records the events on the entry; a second replay finds them already recorded', async () => {
    const first = await run(['events', 'replay', 'brevo-batch.json', '--provider', 'brevo']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`recorded on ${entryId}`);
    expect(first.stdout).toContain('2 recorded, 0 already recorded, 0 without a journal entry');
    const again = await run(['events', 'replay', 'brevo-batch.json', '--provider', 'brevo', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ provider: 'brevo', recorded: 0, duplicates: 2, unmatched: 0, events: [{ result: 'already recorded' }, { result: 'already recorded' }] });
  });

  it('reads a payload saved with a byte-order mark and Windows line endings (Notepad, PowerShell)', async () => {
    const saved = JSON.stringify(fixture('brevo-hard-bounce-batch').body, null, 2).replace(/\n/g, '\r\n');
    await writeFile(join(cwd, 'brevo-bom.json'), `\uFEFF${saved}`, 'utf8');
    const dry = await run(['events', 'replay', 'brevo-bom.json', '--provider', 'brevo', '--dry-run']);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/bounced\s+nobody@example\.com\s.*dry run/);
  });

  it('refuses a journal path that does not exist instead of creating a journal there', async () => {
    const { existsSync } = await import('node:fs');
    const typo = join(cwd, 'jounral.sqlite');
    const replay = await runCli(['events', 'replay', 'brevo-batch.json', '--provider', 'brevo', '--journal', typo], { cwd });
    expect(replay.code).toBe(1);
    expect(replay.stderr).toMatch(/error CONFIG: .*no journal at/);
    expect(existsSync(typo)).toBe(false);
  });

  it('journal show lists the per-recipient state and every event; journal --delivery filters', async () => {
    const show = await run(['journal', 'show', entryId]);
    expect(show.stdout).toMatch(/delivery:\n {2}nobody@example\.com {2}bounced {2}.*bounced: RecipientError: 550 5\.1\.1/);
    expect(show.stdout).toMatch(/ {2}camille@example\.com {2}delivered/);
    expect(show.stdout).toMatch(/events \(2\):\n {2}1\. .* {2}brevo {2}bounced .*nobody@example\.com/);
    const table = await run(['journal']);
    expect(table.stdout).toMatch(new RegExp(`^${entryId}\\s.*\\ssent: delivered, bounced\\s+memory`, 'm'));
    expect((JSON.parse((await run(['journal', '--delivery', 'bounced', '--json'])).stdout) as JournalEntry[]).map((one) => one.id)).toEqual([entryId]);
    expect(JSON.parse((await run(['journal', '--delivery', 'complained', '--json'])).stdout)).toEqual([]);
    const wrong = await run(['journal', '--delivery', 'lost']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('--delivery must be one of queued, sent, deferred, delivered, bounced, rejected, failed, complained');
  });

  it('says what is wrong with the provider or the file', async () => {
    const noProvider = await run(['events', 'replay', 'brevo-batch.json', '--provider', 'postal']);
    expect(noProvider.code).toBe(1);
    expect(noProvider.stderr).toContain('--provider must be one of brevo, mailjet, mailgun, smtp2go, ses, postmark, sendgrid, resend, sparkpost');
    await writeFile(join(cwd, 'notes.txt'), 'the customer says the mail never arrived');
    const notPayload = await run(['events', 'replay', 'notes.txt', '--provider', 'mailgun']);
    expect(notPayload.code).toBe(1);
    expect(notPayload.stderr).toContain('notes.txt is not a mailgun webhook payload');
  });

  it('a saved Mailjet batch with a time out of range replays: that event gets the replay time, no CONFIG error', async () => {
    await writeFile(join(cwd, 'mailjet-odd-time.json'), JSON.stringify([{ event: 'sent', time: 1e13, MessageID: 'memory-1', email: 'camille@example.com' }]));
    const dry = await run(['events', 'replay', 'mailjet-odd-time.json', '--provider', 'mailjet', '--dry-run', '--json']);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    const printed = JSON.parse(dry.stdout) as { events: Array<{ eventType: string; timestamp: string }> };
    expect(printed.events.map((event) => event.eventType)).toEqual(['delivered']);
    expect(Number.isNaN(Date.parse(printed.events[0]!.timestamp))).toBe(false);
  });

  it('replays Postmark, SendGrid, Resend and SparkPost payloads as saved (no signature to check on a file from disk)', async () => {
    const saved: Record<string, unknown> = {
      postmark: { ...(fixture('postmark-bounce').body as object), MessageID: 'memory-1' },
      sendgrid: JSON.parse(JSON.stringify(fixture('sendgrid-batch').body).replaceAll('X_MESSAGE_ID', 'memory-1')),
      resend: JSON.parse(JSON.stringify(fixture('resend-bounced').body).replaceAll('EMAIL_ID', 'memory-1')),
      sparkpost: JSON.parse(JSON.stringify(fixture('sparkpost-batch').body).replaceAll('TRANSMISSION_ID', 'memory-1')),
    };
    const expected: Record<string, string[]> = { postmark: ['bounced'], sendgrid: ['queued', 'delivered', 'bounced', 'rejected', 'deferred'], resend: ['bounced'], sparkpost: ['delivered', 'bounced', 'opened'] };
    for (const [provider, body] of Object.entries(saved)) {
      await writeFile(join(cwd, `${provider}.json`), JSON.stringify(body));
      const dry = await run(['events', 'replay', `${provider}.json`, '--provider', provider, '--dry-run', '--json']);
      expect(dry.code).toBe(0);
      const printed = JSON.parse(dry.stdout) as { provider: string; events: Array<{ eventType: string; provider: string; providerMessageId: string }> };
      expect(printed.events.map((event) => event.eventType)).toEqual(expected[provider]);
      expect(printed.events.every((event) => event.provider === provider && event.providerMessageId === 'memory-1')).toBe(true);
    }
    const recorded = await run(['events', 'replay', 'sparkpost.json', '--provider', 'sparkpost', '--json']);
    expect(JSON.parse(recorded.stdout)).toMatchObject({ provider: 'sparkpost', recorded: 3, unmatched: 0, events: [{ result: `recorded on ${entryId}` }, { result: `recorded on ${entryId}` }, { result: `recorded on ${entryId}` }] });
  });
});
