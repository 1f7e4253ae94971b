// Failure alerts posted to loopback receivers: the exact body of each channel (Slack blocks, the
// Teams Workflows Adaptive Card envelope, a Discord embed, the signed JSON webhook), each trigger
// (failed, failover, cooldown, bounce/complaint, journal-error, pending), the throttle (100
// failures in a minute -> one alert and one digest, on a manual clock), channels that fail or hang
// never touching a send, and no configured secret in any alert.
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { attachAlerts } from '../src/alerts/alerts.js';
import { escapeMarkdown } from '../src/alerts/channels/channel.js';
import type { AlertOptions } from '../src/alerts/options.js';
import { createMailer, type MailerOptions } from '../src/core/mailer.js';
import { MailError } from '../src/core/errors.js';
import Keyv from 'keyv';
import { verifyAlertSignature } from '../src/index.js';
import { validateConfig } from '../src/core/config.js';
import { manualClock, startAlertReceiver, type AlertReceiver } from './helpers/alert-receiver.js';
import { scriptedAdapter } from './helpers/scripted-adapter.js';
import { init as strapiProvider } from '../src/integrations/strapi.js';
import { mailroomAdapter } from '../src/integrations/payload.js';

const SITE = 'shop.test';
const AT = '2026-11-28T10:00:00.000Z';
const SLACK_PATH = '/services/T0SHOP001/B0ALERTS1/slackHookToken0123456789';
const TEAMS_PATH = '/workflows/4f1c/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=TeamsSigSecret0123456789abcdef';
const DISCORD_PATH = '/api/webhooks/1156588479912874087/DiscordTokenSecret-0123456789abcdefXYZ';
const WEBHOOK_SECRET = 'whsec-alerts-0123456789-abcdef';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function receiver(answer?: AlertReceiver['answer']): Promise<AlertReceiver> {
  const started = await startAlertReceiver(answer);
  open.push(started);
  return started;
}

function mailer(adapters: MailerOptions['adapters'], alerts: AlertOptions, extra: Partial<MailerOptions> = {}) {
  const created = createMailer({ adapters, journal: false, retry: { attempts: 1 }, cooldown: { failures: 1000 }, from: 'shop@example.com', alerts: { site: SITE, ...alerts }, ...extra });
  open.push(created);
  return created;
}

const message = { to: 'Camille Martin <camille@example.org>', subject: 'Order 1042', text: 'Thank you' };
const mrkdwn = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
// Teams and Discord read Markdown: the characters it acts on arrive escaped (checked on its own in "text an outsider wrote").
const markdown = escapeMarkdown;

describe('alert channels: exact formats', () => {
  it('Slack: a failover posts {text, blocks} with a header, the sentence, the facts as mrkdwn fields and a context line', async () => {
    const slack = await receiver({ status: 200, body: 'ok' });
    const clock = manualClock();
    const sender = mailer([scriptedAdapter('primary', [{ fail: 'AUTH' }]), scriptedAdapter('backup', ['ok'])], { channels: [{ type: 'slack', url: `${slack.url}${SLACK_PATH}` }], clock });
    let failover: { error: MailError } | undefined;
    sender.on('failover', (info) => (failover = info));
    const result = await sender.send(message);
    const [request] = await slack.waitFor(1);
    const error = failover!.error;
    const sentence = `primary failed with AUTH; the message went on to backup. ${error.remedy}`;
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe(SLACK_PATH);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.json).toEqual({
      text: `[${SITE}] primary failed, backup took over: ${sentence}`,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: `[${SITE}] primary failed, backup took over`, emoji: false } },
        { type: 'section', text: { type: 'mrkdwn', text: mrkdwn(sentence) } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Failed adapter*\nprimary' },
            { type: 'mrkdwn', text: '*Next adapter*\nbackup' },
            { type: 'mrkdwn', text: `*Error*\n${mrkdwn(error.message)}` },
            { type: 'mrkdwn', text: `*Journal entry*\n${result.id}` },
          ],
        },
        { type: 'context', elements: [{ type: 'mrkdwn', text: `mailroom · failover · ${AT} · journal ${result.id}` }] },
      ],
    });
  });

  it('Teams: a failure for good posts the Workflows message envelope holding one Adaptive Card with a FactSet', async () => {
    const teams = await receiver({ status: 202, body: '' });
    const clock = manualClock();
    const sender = mailer([scriptedAdapter('primary', [{ fail: 'AUTH' }]), scriptedAdapter('secondary', [{ fail: 'TRANSIENT' }])], {
      channels: [{ type: 'teams', url: `${teams.url}${TEAMS_PATH}` }],
      triggers: { failover: false },
      clock,
    });
    let failure: MailError | undefined;
    let entryId = '';
    sender.on('failed', (error, id) => ((failure = error), (entryId = id)));
    await expect(sender.send(message)).rejects.toMatchObject({ code: 'ALL_FAILED' });
    const [request] = await teams.waitFor(1);
    expect(request!.path).toBe(TEAMS_PATH);
    expect(request!.json).toEqual({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.2',
            body: [
              { type: 'TextBlock', text: `[${SITE}] Mail failed for good`, weight: 'Bolder', size: 'Medium', wrap: true },
              { type: 'TextBlock', text: markdown(`A message could not be sent (ALL_FAILED). ${failure!.remedy}`), wrap: true },
              {
                type: 'FactSet',
                facts: [
                  { title: 'Error', value: markdown(failure!.message) },
                  { title: 'Code', value: markdown('ALL_FAILED') },
                  { title: 'Adapters tried', value: 'primary: AUTH; secondary: TRANSIENT' },
                  { title: 'Journal entry', value: entryId },
                ],
              },
              { type: 'TextBlock', text: `mailroom · failed · ${AT} · journal ${entryId}`, isSubtle: true, size: 'Small', wrap: true },
            ],
          },
        },
      ],
    });
  });

  it('Discord: an adapter starting its cooldown posts one embed, mentions switched off', async () => {
    const discord = await receiver({ status: 204, body: '' });
    const clock = manualClock();
    const sender = mailer([scriptedAdapter('primary', [{ fail: 'TRANSIENT' }]), scriptedAdapter('backup', ['ok'])], {
      channels: [{ type: 'discord', url: `${discord.url}${DISCORD_PATH}` }],
      triggers: { failover: false },
      clock,
    }, { cooldown: { failures: 1, periodMs: 60_000 } });
    let cooldown: { adapter: string; code: string; until: Date } | undefined;
    sender.on('cooldown', (info) => (cooldown = info));
    await sender.send(message);
    expect(cooldown).toMatchObject({ adapter: 'primary', code: 'TRANSIENT' });
    const until = cooldown!.until.toISOString();
    const [request] = await discord.waitFor(1);
    expect(request!.path).toBe(DISCORD_PATH);
    expect(request!.json).toEqual({
      username: 'mailroom',
      embeds: [
        {
          title: `[${SITE}] primary is cooling down`,
          description: `primary failed repeatedly (TRANSIENT) and is skipped until ${until}; the other adapters of the chain carry the mail meanwhile.`,
          color: 0xf66a0a,
          fields: [
            { name: 'Adapter', value: 'primary', inline: true },
            { name: 'Code', value: 'TRANSIENT', inline: true },
            { name: 'Until', value: until, inline: true },
          ],
          timestamp: AT,
          footer: { text: 'mailroom · cooldown' },
        },
      ],
      allowed_mentions: { parse: [] },
    });
  });

  it('webhook: a JSON body signed in Mailroom-Signature (t=<seconds>,v1=HMAC-SHA256 of "<t>.<body>"), recipients masked', async () => {
    const hook = await receiver({ status: 200, body: '' });
    const clock = manualClock();
    const sender = mailer([scriptedAdapter('primary', [{ fail: 'REJECTED', options: { smtpCode: 550 } }])], {
      channels: [{ type: 'webhook', url: `${hook.url}/hooks/mail`, secret: WEBHOOK_SECRET }],
      clock,
    }, { journal: 'memory://' });
    let failure: MailError | undefined;
    let entryId = '';
    sender.on('failed', (error, id) => ((failure = error), (entryId = id)));
    await expect(sender.send({ ...message, cc: 'ops@example.net' })).rejects.toMatchObject({ code: 'REJECTED' });
    const [request] = await hook.waitFor(1);
    expect(JSON.parse(request!.body)).toEqual({
      version: 1,
      type: 'mailroom.alert',
      trigger: 'failed',
      site: SITE,
      title: `[${SITE}] Mail failed for good`,
      text: `A message could not be sent (REJECTED). ${failure!.remedy}`,
      adapter: 'primary',
      code: 'REJECTED',
      entryId,
      occurredAt: AT,
      facts: [
        { label: 'Error', value: failure!.message },
        { label: 'Code', value: 'REJECTED' },
        { label: 'Adapters tried', value: 'primary: REJECTED' },
        { label: 'Journal entry', value: entryId },
        { label: 'Recipients', value: 'c***@example.org, o***@example.net' },
      ],
      digest: null,
    });
    const header = request!.headers['mailroom-signature'] as string;
    const t = Math.floor(clock.now() / 1000);
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', WEBHOOK_SECRET).update(`${t}.${request!.body}`).digest('hex')}`);
    expect(verifyAlertSignature(request!.body, header, WEBHOOK_SECRET, { now: clock.now() })).toBe(true);
    expect(verifyAlertSignature(request!.body.replace('REJECTED', 'AUTH'), header, WEBHOOK_SECRET, { now: clock.now() })).toBe(false);
    expect(verifyAlertSignature(request!.body, header, 'another-secret-0123456789', { now: clock.now() })).toBe(false);
    expect(verifyAlertSignature(request!.body, header, WEBHOOK_SECRET, { now: clock.now() + 301_000 })).toBe(false);
    expect(verifyAlertSignature(request!.body, undefined, WEBHOOK_SECRET)).toBe(false);
  });
});

describe('alert triggers', () => {
  it('delivery events: a hard bounce and a complaint alert (recipient masked), a delivered event does not', async () => {
    const hook = await receiver();
    const source = new EventEmitter();
    const monitor = attachAlerts(source, { site: SITE, clock: manualClock(), channels: [{ type: 'webhook', url: `${hook.url}/in`, secret: WEBHOOK_SECRET }] });
    open.push(monitor);
    source.emit('delivery', { eventType: 'delivered', provider: 'mailgun', recipient: 'camille@example.org', journalId: '01JDELIVERED' });
    source.emit('delivery', { eventType: 'bounced', provider: 'mailgun', recipient: 'Camille <camille@example.org>', rejectReason: 'bounced', mtaResponse: '550 5.1.1 mailbox unknown', journalId: '01JBOUNCED' });
    source.emit('delivery', { eventType: 'complained', provider: 'brevo', recipient: 'leo@example.com', journalId: '01JCOMPLAINT' });
    await monitor.idle();
    const bodies = hook.requests.map((request) => request.json as Record<string, unknown>);
    expect(bodies.map((body) => [body.trigger, body.adapter, body.code, body.entryId])).toEqual([
      ['bounce', 'mailgun', 'bounced', '01JBOUNCED'],
      ['complaint', 'brevo', 'complained', '01JCOMPLAINT'],
    ]);
    expect(bodies[0]!.facts).toEqual([
      { label: 'Recipient', value: 'c***@example.org' },
      { label: 'Provider', value: 'mailgun' },
      { label: 'Reason', value: 'bounced' },
      { label: 'MTA response', value: '550 5.1.1 mailbox unknown' },
      { label: 'Journal entry', value: '01JBOUNCED' },
    ]);
    expect(JSON.stringify(bodies)).not.toContain('camille@');
  });

  it('recipients "masked" or "none": an address quoted in an error, a description or an MTA response is masked or left out too', async () => {
    const quoted = '550 5.1.1 <bob.smith@example.org>: Recipient address rejected';
    const emitAll = (source: EventEmitter) => {
      const error = new MailError('REJECTED', `RCPT TO:<bob.smith@example.org> refused: ${quoted}`, { provider: 'smtp', remedy: 'Check the address bob.smith@example.org.' });
      source.emit('failed', error, '01JFAILED');
      source.emit('failover', { from: 'smtp', to: 'brevo', error, entryId: '01JFAILOVER' });
      source.emit('delivery', { eventType: 'bounced', provider: 'mailgun', recipient: 'bob.smith@example.org', rejectReason: 'bounced', description: 'No mailbox for bob.smith@example.org', mtaResponse: quoted, journalId: '01JBOUNCED' });
    };
    for (const display of ['masked', 'none'] as const) {
      const hook = await receiver();
      const source = new EventEmitter();
      const monitor = attachAlerts(source, { site: SITE, recipients: display, clock: manualClock(), channels: [{ type: 'webhook', url: `${hook.url}/in`, secret: WEBHOOK_SECRET }] });
      open.push(monitor);
      emitAll(source);
      await monitor.idle();
      const bodies = hook.requests.map((request) => request.body);
      expect(bodies).toHaveLength(3);
      for (const body of bodies) {
        expect(body, display).not.toContain('bob.smith');
        expect(body).toContain('Recipient address rejected');
        if (display === 'masked') expect(body).toContain('b***@example.org');
        else expect(body).not.toMatch(/@example\.org/);
      }
    }
  });

  it('journal-error: a journal that cannot be written raises one alert, and the send still goes out', async () => {
    const hook = await receiver();
    const broken = new Keyv({ throwOnErrors: true, serialize: () => { throw new Error('disk full'); } });
    const sender = mailer([scriptedAdapter('primary', ['ok'])], { channels: [{ type: 'webhook', url: `${hook.url}/in`, secret: WEBHOOK_SECRET }], clock: manualClock() }, { journal: broken });
    const result = await sender.send(message);
    expect(result.status).toBe('sent');
    const [request] = await hook.waitFor(1);
    expect(request!.json).toMatchObject({ trigger: 'journal-error', title: `[${SITE}] The send journal is failing`, adapter: null });
  });

  it('journal-error: a journal that cannot record delivery events (webhooks answered 500) raises the alert too', async () => {
    const hook = await receiver();
    const broken = new Keyv({ throwOnErrors: true, serialize: () => { throw new Error('disk full'); } });
    const sender = mailer([scriptedAdapter('primary', ['ok'])], { channels: [{ type: 'webhook', url: `${hook.url}/in`, secret: WEBHOOK_SECRET }], clock: manualClock() }, { journal: broken });
    const event = { eventType: 'bounced' as const, provider: 'brevo', providerMessageId: '<unknown@example.com>', recipient: 'camille@example.org', timestamp: '2026-11-28T10:00:00.000Z', tags: [], metadata: {}, raw: {} };
    await expect(sender.journal.recordEvents([event])).rejects.toThrow();
    const [request] = await hook.waitFor(1);
    expect(request!.json).toMatchObject({ trigger: 'journal-error', title: `[${SITE}] The send journal is failing` });
  });

  it('pending entries older than N minutes: found by the periodic scan of the real journal, one alert', async () => {
    const hook = await receiver();
    const clock = manualClock(Date.now());
    // A send stuck in flight keeps its journal entry pending (as a process killed mid-send leaves it).
    const sender = mailer([scriptedAdapter('stuck', [{ abortable: 'TRANSIENT' }])], {
      clock,
      pendingOlderThanMinutes: 30,
      pendingCheckMs: 60_000,
      triggers: { failed: false },
      channels: [{ type: 'webhook', url: `${hook.url}/in`, secret: WEBHOOK_SECRET }],
    }, { journal: 'memory://', timeoutMs: 3_000 });
    const stuck = sender.send(message).catch((error: unknown) => error);
    let pending = await sender.journal.list({ status: 'pending' });
    for (let tries = 0; pending.entries.length === 0 && tries < 100; tries++) {
      await new Promise((done) => setTimeout(done, 10));
      pending = await sender.journal.list({ status: 'pending' });
    }
    expect(pending.entries).toHaveLength(1);
    // The first scan (1 min in) finds the entry too young; the next one is scheduled once it is done.
    clock.advance(31 * 60_000);
    await new Promise((done) => setTimeout(done, 50));
    expect(hook.requests).toHaveLength(0);
    clock.advance(60_000); // the scan at 32 min: the entry is now over 30 min old
    const [request] = await hook.waitFor(1);
    const entry = pending.entries[0]!;
    expect(request!.json).toMatchObject({
      trigger: 'pending',
      title: `[${SITE}] 1 message(s) pending for over 30 min`,
      entryId: entry.id,
      facts: [{ label: 'Pending', value: '1' }, { label: 'Oldest entry', value: `${entry.id} (${entry.createdAt})` }],
    });
    await stuck;
  });
});

describe('several instances on one journal', () => {
  it('three mailers sharing a SQLite journal send the pending alert once, not once each (and its digest from the one that spoke)', async () => {
    const hook = await receiver();
    const clock = manualClock(Date.now());
    const journal = join(mkdtempSync(join(tmpdir(), 'mailroom-alerts-')), 'journal.sqlite');
    const instance = (adapter = scriptedAdapter('primary', ['ok'])) =>
      mailer([adapter], { clock, pendingOlderThanMinutes: 30, pendingCheckMs: 60_000, triggers: { failed: false }, channels: [{ type: 'webhook', url: `${hook.url}/in`, secret: WEBHOOK_SECRET }] }, { journal, timeoutMs: 3_000 });
    const sender = instance(scriptedAdapter('stuck', [{ abortable: 'TRANSIENT' }]));
    const others = [instance(), instance()];
    const stuck = sender.send(message).catch((error: unknown) => error);
    let pending = await others[0]!.journal.list({ status: 'pending' });
    for (let tries = 0; pending.entries.length === 0 && tries < 100; tries++) {
      await new Promise((done) => setTimeout(done, 10));
      pending = await others[0]!.journal.list({ status: 'pending' });
    }
    expect(pending.entries).toHaveLength(1);
    // Each scan of the three is over once it has set its next timer (plus the speaker's throttle window).
    const scansPass = async (minutes: number, timers: number) => {
      for (let minute = 0; minute < minutes; minute++) {
        clock.advance(60_000);
        for (let tries = 0; clock.pending() < timers && tries < 500; tries++) await new Promise((done) => setTimeout(done, 10));
      }
    };
    await scansPass(30, 3);
    await scansPass(1, 4); // 31 min: the entry is over 30 min old for every instance
    await new Promise((done) => setTimeout(done, 200));
    const quiet = async (count: number) => {
      await hook.waitFor(count);
      await new Promise((done) => setTimeout(done, 200));
      expect(hook.requests).toHaveLength(count);
      return hook.requests.map((request) => request.json as { trigger: string; digest: unknown });
    };
    expect(await quiet(1)).toMatchObject([{ trigger: 'pending', digest: null }]);
    // Two more scans each: held back by the speaker's throttle, silent elsewhere.
    await scansPass(2, 4);
    expect(await quiet(1)).toHaveLength(1);
    await Promise.all([sender, ...others].map((one) => one.close()));
    expect((await quiet(2))[1]).toMatchObject({ trigger: 'pending', digest: { count: 2 } });
    await stuck;
  });
});

describe('text an outsider wrote, as Teams and Discord render it', () => {
  it('a bounce reply holding a Markdown link and emphasis arrives escaped: no link, no bold, and every character still there', async () => {
    const teams = await receiver({ status: 202, body: '' });
    const discord = await receiver({ status: 204, body: '' });
    const source = new EventEmitter();
    const monitor = attachAlerts(source, {
      site: SITE,
      clock: manualClock(),
      channels: [{ type: 'teams', url: `${teams.url}${TEAMS_PATH}` }, { type: 'discord', url: `${discord.url}${DISCORD_PATH}` }],
    });
    open.push(monitor);
    const mtaResponse = '550 **Mailbox locked**: [sign in](https://evil.example/login) to _unlock_ it, ~~now~~ `here` <https://evil.example>';
    source.emit('delivery', { eventType: 'bounced', provider: 'mailgun', recipient: 'camille@example.org', rejectReason: 'bounced', description: '[reset](https://evil.example/r) *now*', mtaResponse, journalId: '01JBOUNCED' });
    await monitor.idle();
    const [card] = await teams.waitFor(1);
    const [embed] = await discord.waitFor(1);
    const teamsBody = (card!.json as { attachments: Array<{ content: { body: Array<{ type: string; text?: string; facts?: Array<{ title: string; value: string }> }> } }> }).attachments[0]!.content.body;
    const teamsTexts = [teamsBody[1]!.text!, ...teamsBody[2]!.facts!.map((fact) => fact.value)];
    const discordEmbed = (embed!.json as { embeds: Array<{ description: string; fields: Array<{ name: string; value: string }> }> }).embeds[0]!;
    const discordTexts = [discordEmbed.description, ...discordEmbed.fields.map((field) => field.value)];
    // What Markdown would act on: a [text](url) link, <url> autolink, ** or __ or ~~ pairs, `code`, an unescaped * or _.
    const unescaped = (pattern: string) => new RegExp(`(?<!\\\\)${pattern}`);
    for (const text of [...teamsTexts, ...discordTexts]) {
      for (const active of ['\\[', '\\]', '\\*', '_', '~', '`', '<']) expect(text, text).not.toMatch(unescaped(active));
    }
    const unescape = (text: string) => text.replace(/\\(.)/g, '$1');
    for (const texts of [teamsTexts, discordTexts]) expect(texts.map(unescape)).toEqual(expect.arrayContaining([mtaResponse, '[reset](https://evil.example/r) *now*']));
  });
});

describe('alert throttle', () => {
  it('100 failures in a minute -> exactly one alert and one digest ("and 99 more like this") per channel', async () => {
    const slack = await receiver({ status: 200, body: 'ok' });
    const teams = await receiver({ status: 202, body: '' });
    const discord = await receiver({ status: 204, body: '' });
    const hook = await receiver();
    const clock = manualClock();
    const primary = scriptedAdapter('primary', [{ fail: 'AUTH' }]);
    const sender = mailer([primary], {
      channels: [{ type: 'slack', url: `${slack.url}${SLACK_PATH}` }, { type: 'teams', url: `${teams.url}${TEAMS_PATH}` }, { type: 'discord', url: `${discord.url}${DISCORD_PATH}` }, { type: 'webhook', url: `${hook.url}/in`, secret: WEBHOOK_SECRET }],
      throttle: { windowMs: 60_000 },
      clock,
    });
    for (let index = 0; index < 100; index++) {
      await expect(sender.send(message)).rejects.toMatchObject({ code: 'ALL_FAILED' });
      clock.advance(600);
    }
    expect(primary.calls).toHaveLength(100);
    await hook.waitFor(1);
    await slack.waitFor(1);
    expect(hook.requests).toHaveLength(1);
    expect((hook.requests[0]!.json as { digest: unknown }).digest).toBeNull();

    clock.advance(60_000); // the window ends: the digest of what was held back
    const [, digest] = await hook.waitFor(2);
    expect(digest!.json).toMatchObject({
      trigger: 'failed',
      title: `[${SITE}] Mail failed for good (and 99 more like this)`,
      digest: { count: 99, firstAt: '2026-11-28T10:00:00.600Z', lastAt: '2026-11-28T10:00:59.400Z' },
    });
    const [, slackDigest] = await slack.waitFor(2);
    expect((slackDigest!.json as { blocks: Array<{ text?: { text: string } }> }).blocks[0]!.text!.text).toBe(`[${SITE}] Mail failed for good (and 99 more like this)`);

    const [, teamsDigest] = await teams.waitFor(2);
    expect(JSON.stringify(teamsDigest!.json)).toContain('(and 99 more like this)');
    const [, discordDigest] = await discord.waitFor(2);
    expect(JSON.stringify(discordDigest!.json)).toContain('(and 99 more like this)');

    clock.advance(10 * 60_000); // a quiet window: nothing more
    await sender.close();
    for (const channel of [hook, slack, teams, discord]) expect(channel.requests).toHaveLength(2);
  });

  it('different (trigger, adapter, code) keys alert separately; a key held back is counted', async () => {
    const hook = await receiver();
    const source = new EventEmitter();
    const monitor = attachAlerts(source, { site: SITE, clock: manualClock(), channels: [{ type: 'webhook', url: `${hook.url}/in`, secret: WEBHOOK_SECRET }] });
    open.push(monitor);
    const error = (code: 'AUTH' | 'TRANSIENT') => new MailError(code, `scripted ${code}`, { provider: 'smtp' });
    source.emit('failover', { from: 'smtp', to: 'brevo', error: error('AUTH'), entryId: '01JA' });
    source.emit('failover', { from: 'smtp', to: 'brevo', error: error('AUTH'), entryId: '01JB' });
    source.emit('failover', { from: 'smtp', to: 'brevo', error: error('TRANSIENT'), entryId: '01JC' });
    source.emit('cooldown', { adapter: 'smtp', code: 'AUTH', until: new Date(AT) });
    await monitor.idle();
    expect(hook.requests.map((request) => (request.json as { entryId: string | null; trigger: string }).trigger + ':' + (request.json as { code: string }).code)).toEqual(['failover:AUTH', 'failover:TRANSIENT', 'cooldown:AUTH']);
    expect(monitor.held()).toEqual({ 'failover|smtp|AUTH': 1, 'failover|smtp|TRANSIENT': 0, 'cooldown|smtp|AUTH': 0 });
  });
});

describe('alert channels never touch a send', () => {
  it('a channel answering an error or never answering: sends settle at once, each failing channel is reported once', async () => {
    const slack = await receiver({ status: 404, body: 'no_service' });
    const stalled = await receiver('hold');
    const warnings: Error[] = [];
    const onWarning = (warning: Error & { code?: string }) => warning.code === 'MAILROOM_ALERT_FAILED' && warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const sender = mailer([scriptedAdapter('primary', [{ fail: 'AUTH' }, 'ok', { fail: 'TRANSIENT' }]), scriptedAdapter('backup', ['ok'])], {
        channels: [{ type: 'slack', url: `${slack.url}${SLACK_PATH}` }, { type: 'webhook', url: `${stalled.url}/in`, secret: WEBHOOK_SECRET }],
        timeoutMs: 300,
        clock: manualClock(),
      });
      await sender.send(message); // failover (AUTH)
      await sender.send(message); // ok
      await sender.send(message); // failover (TRANSIENT): another key, another alert
      // The sends are done while the receiver still holds the first alert's request open.
      await stalled.waitFor(1);
      await sender.close(); // waits for the alerts in flight (bounded by timeoutMs)
      await new Promise((done) => setImmediate(done));
      expect(slack.requests).toHaveLength(2);
      expect(stalled.requests).toHaveLength(2);
      const texts = warnings.map((warning) => warning.message);
      expect(texts).toHaveLength(2);
      expect(texts.find((text) => text.includes('channel slack ('))).toMatch(/Slack refused the alert: 404 no_service.*create a new incoming webhook/);
      expect(texts.find((text) => text.includes('channel webhook ('))).toMatch(/no answer from 127\.0\.0\.1:\d+ within 300 ms after the request was sent.*reachable from this server/);
      expect(texts.join('\n')).not.toContain(SLACK_PATH.split('/').pop());
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('bad channel options are a CONFIG error at createMailer and in the config file, without echoing the URL', () => {
    expect(() => createMailer({ adapters: [scriptedAdapter('a', ['ok'])], journal: false, alerts: { channels: [{ type: 'webhook', url: 'https://hooks.example.com/x', secret: 'short' }] } })).toThrow(/"secret" must be a signing secret of 16 characters/);
    expect(() => createMailer({ adapters: [scriptedAdapter('a', ['ok'])], journal: false, alerts: { channels: [] } })).toThrow(/at least one channel/);
    expect(() => validateConfig({ alerts: { channels: [{ type: 'slack', url: 'not a url secret-part' }] } }, 'mailroom.config.json')).toThrow(/option "alerts.channels.0.url": expected the Slack incoming webhook URL/);
    expect(() => validateConfig({ alerts: { channels: [{ type: 'slack', url: 'not a url secret-part' }] } })).not.toThrow(/secret-part/);
    expect(() => validateConfig({ alerts: { channels: [{ type: 'pager', url: 'https://x.example' }] } })).toThrow(/alerts.channels.0/);
    expect(validateConfig({ alerts: { channels: [{ type: 'email', to: 'ops@example.com' }], throttle: { windowMs: 60_000 }, pendingOlderThanMinutes: 15 } }).alerts).toEqual({ channels: [{ type: 'email', to: 'ops@example.com' }], throttle: { windowMs: 60_000 }, pendingOlderThanMinutes: 15 });
  });
});

describe('alerts options given in code', () => {
  it('no channels list, a URL where the list belongs, or a list holding something that is not a channel: CONFIG with a remedy, not a TypeError', () => {
    const given: unknown[] = [
      {},
      { channels: 'https://hooks.slack.com/services/T0/B0/secret-part' },
      { channels: { type: 'slack', url: 'https://hooks.slack.com/services/T0/B0/secret-part' } },
      { channels: [null] },
      { channels: ['https://hooks.slack.com/services/T0/B0/secret-part'] },
      { channels: [{ url: 'https://hooks.slack.com/services/T0/B0/secret-part' }] },
      { channels: [{ type: 'slack' }] },
    ];
    for (const alerts of given) {
      const error = (() => {
        try {
          attachAlerts(new EventEmitter(), alerts as AlertOptions);
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error, JSON.stringify(alerts)).toBeInstanceOf(MailError);
      expect((error as MailError).code).toBe('CONFIG');
      expect((error as MailError).specificRemedy, JSON.stringify(alerts)).toBeTruthy();
      expect((error as MailError).message).not.toContain('secret-part');
    }
    expect(() => createMailer({ adapters: [scriptedAdapter('a', ['ok'])], journal: false, alerts: {} as AlertOptions })).toThrow(expect.objectContaining({ code: 'CONFIG' }));
  });

  it('a scan period of 0 or a window past 2^31 - 1 ms (Node runs such a timer at once): CONFIG at createMailer, from code as from the file', () => {
    const channels = [{ type: 'webhook' as const, url: 'https://ops.example/hooks/mail', secret: WEBHOOK_SECRET }];
    const given: Array<Partial<AlertOptions>> = [
      { pendingCheckMs: 0 },
      { queueCheckMs: 10 },
      { throttle: { windowMs: 30 * 24 * 3600_000 } },
      { pendingCheckMs: 2 ** 31 },
      { timeoutMs: -1 },
      { noWorkerMinutes: 1.5 },
    ];
    for (const extra of given) {
      const fromCode = (() => {
        try {
          createMailer({ adapters: [scriptedAdapter('a', ['ok'])], journal: false, alerts: { channels, ...extra } });
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(fromCode, JSON.stringify(extra)).toBeInstanceOf(MailError);
      expect((fromCode as MailError).code).toBe('CONFIG');
      expect((fromCode as MailError).specificRemedy).toBeTruthy();
      expect(() => validateConfig({ dsn: 'memory://', alerts: { channels, ...extra } }), JSON.stringify(extra)).toThrow(expect.objectContaining({ code: 'CONFIG' }));
    }
    // The largest window a timer holds is accepted.
    const largest = createMailer({ adapters: [scriptedAdapter('a', ['ok'])], journal: false, alerts: { channels, throttle: { windowMs: 2 ** 31 - 1 }, clock: manualClock() } });
    open.push(largest);
  });
});

describe('alerts in the CMS integrations', () => {
  it('Strapi providerOptions and Payload mailroomAdapter take the same alerts option', async () => {
    const hook = await receiver();
    const alerts: AlertOptions = { site: SITE, clock: manualClock(), channels: [{ type: 'webhook', url: `${hook.url}/in`, secret: WEBHOOK_SECRET }] };
    const strapi = strapiProvider({ adapters: [scriptedAdapter('strapi-smtp', [{ fail: 'AUTH' }])], journal: false, retry: { attempts: 1 }, alerts }, { defaultFrom: 'shop@example.com' });
    await expect(strapi.send({ to: 'ann@example.org', subject: 'x', text: 'x' })).rejects.toBeInstanceOf(Error);
    const payloadEmail = mailroomAdapter({ adapters: [scriptedAdapter('payload-smtp', [{ fail: 'AUTH' }])], journal: false, retry: { attempts: 1 }, alerts, defaultFromAddress: 'shop@example.com', defaultFromName: 'Shop' })({ payload: {} });
    open.push(payloadEmail.mailer);
    await expect(payloadEmail.sendEmail({ to: 'ann@example.org', subject: 'x', text: 'x' })).rejects.toBeInstanceOf(Error);
    const bodies = (await hook.waitFor(2)).map((request) => request.json as { trigger: string; adapter: string });
    expect(bodies.map((body) => `${body.trigger}:${body.adapter}`).sort()).toEqual(['failed:payload-smtp', 'failed:strapi-smtp']);
  });
});

describe('no secret in any alert', () => {
  it('channel URLs, the webhook secret and the DSN password never appear in what any channel receives', async () => {
    const slack = await receiver({ status: 200, body: 'ok' });
    const teams = await receiver({ status: 400, body: 'TriggerInputSchemaMismatch' });
    const discord = await receiver({ status: 204, body: '' });
    const hook = await receiver();
    const slackUrl = `${slack.url}${SLACK_PATH}`;
    const teamsUrl = `${teams.url}${TEAMS_PATH}`;
    const discordUrl = `${discord.url}${DISCORD_PATH}`;
    const secrets = [SLACK_PATH, 'TeamsSigSecret0123456789abcdef', 'DiscordTokenSecret-0123456789abcdefXYZ', WEBHOOK_SECRET, 'Dsn-Passw0rd-9f8e7d'];
    const channels: AlertOptions['channels'] = [
      { type: 'slack', url: slackUrl },
      { type: 'teams', url: teamsUrl },
      { type: 'discord', url: discordUrl },
      { type: 'webhook', url: `${hook.url}/in`, secret: WEBHOOK_SECRET },
    ];
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      // An adapter whose error echoes every configured secret (a proxy quoting the request).
      const echo = `upstream said: POST ${slackUrl} Authorization: Bearer DiscordTokenSecret-0123456789abcdefXYZ sig=TeamsSigSecret0123456789abcdef key=${WEBHOOK_SECRET} ${Buffer.from(WEBHOOK_SECRET).toString('base64')}`;
      const sender = mailer([scriptedAdapter('primary', [{ fail: 'AUTH', options: { remedy: echo } }]), scriptedAdapter('backup', [{ fail: 'TRANSIENT' }])], { channels, clock: manualClock() });
      await expect(sender.send({ ...message, subject: `key ${WEBHOOK_SECRET}` })).rejects.toMatchObject({ code: 'ALL_FAILED' });
      await sender.close();
      // And a DSN chain: its password is a secret too.
      const fromDsn = createMailer({ dsn: `smtp://ann:Dsn-Passw0rd-9f8e7d@127.0.0.1:1?requireTLS=false`, journal: false, retry: { attempts: 1 }, timeoutMs: 2_000, alerts: { site: SITE, channels, clock: manualClock() } });
      await expect(fromDsn.send({ ...message, from: 'ann@example.com', text: 'Dsn-Passw0rd-9f8e7d' })).rejects.toBeInstanceOf(MailError);
      await fromDsn.close();
    } finally {
      process.off('warning', onWarning);
    }
    const received = [...slack.requests, ...teams.requests, ...discord.requests, ...hook.requests];
    expect(received.length).toBeGreaterThanOrEqual(8);
    const everything = [...received.map((request) => request.body), ...warnings].join('\n');
    expect(everything).toContain('***');
    for (const secret of secrets) {
      for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64').replace(/=+$/, '')]) expect(everything).not.toContain(form);
    }
  });
});
