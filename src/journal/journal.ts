// The send journal: one entry per message accepted by `send`, written "pending" before the first
// attempt and closed "sent" or "failed" after the last, so a killed process leaves pending entries
// to resend and nothing vanishes. Stored on keyv; writes that arrive together are committed together.
import type Keyv from 'keyv';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { decodeTime, encodeTime, monotonicFactory } from 'ulid';
import { formatAddress } from '../core/address.js';
import type { Attempt } from '../core/errors.js';
import type { MailMessage, NormalizedMessage } from '../core/message.js';
import { JournalKey } from './journal-crypto.js';
import { randomUnit } from '../core/random-pool.js';
import { MailError } from '../core/errors.js';
import { checkJournalStore, describeValue, IDEMPOTENCY_PREFIX, openJournalStore, storeFailure, type OpenedStore, type SqlCapableStore } from './journal-store.js';
import type { BatchClaim } from './sqlite-claim-batch.js';
import { keyvRow, SerializedValue } from './fast-serialize.js';
import { DELIVERY_STATES, entryRefs, isRefKey, refKey, type DeliveryState, type EntryDelivery } from './delivery-state.js';
import { CONTENT, splitContent, withContent, type ContentRow, type EntryRow } from './entry-content.js';

/** `queued`: accepted in queue mode, waiting for a worker (or for a retry after a failed delivery). */
export type JournalStatus = 'queued' | 'pending' | 'sent' | 'failed';

/** What the journal keeps of a message for reading: never the bodies, never a secret. */
export interface MessageSummary {
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  template?: string;
  locale?: string;
  tags: string[];
  metadata: Record<string, string>;
  attachments: string[];
  sizes: { html: number; text: number; attachments: number };
}

/** One message in the journal. */
export interface JournalEntry {
  /** ULID: sortable by creation time. */
  id: string;
  status: JournalStatus;
  createdAt: string;
  updatedAt: string;
  /** Our RFC 5322 Message-ID; a resend of a pending entry keeps it. */
  messageId: string;
  idempotencyKey?: string;
  summary: MessageSummary;
  /** What a resend needs (template name + data, or subject/html/text), unless `storeContent: false` or `sensitive`. */
  content?: MailMessage;
  /**
   * `content` encrypted with the journal key (`encryptionKey`), as stored; reading the entry with
   * that key gives `content` back instead.
   */
  sealedContent?: string;
  /** The message carried a credential (a password-reset link...): no content is kept, no resend. */
  sensitive?: boolean;
  attempts: Attempt[];
  /** The adapter that delivered it. */
  adapter?: string;
  providerMessageId?: string;
  /** The receipt's other ids for the message (per-recipient ids): what webhooks may name it by. */
  providerRefs?: string[];
  /** The error that ended a failed send. */
  error?: { code: string; message: string; remedy?: string };
  /** An attempt may have delivered it before another adapter did (AMBIGUOUS). */
  possibleDuplicate?: boolean;
  /**
   * The last time an adapter reported the message handed over (end of DATA written, HTTP request
   * sent). On a pending entry a stopped process left, it means the message may have been delivered.
   */
  handedOver?: { adapter: string; at: string };
  warnings?: string[];
  /** The entry this one resends. */
  resendOf?: string;
  /** Entries that resent this one. */
  resentAs?: string[];
  /** What the provider reported after the handover (webhooks): per-recipient state and events. */
  delivery?: EntryDelivery;
}

/** Journal settings (mailer option `journal`). */
export interface JournalOptions {
  /** A keyv instance, or a file path / sqlite:// / redis:// / postgres:// / memory:// URL. Default `.mailroom/journal.sqlite`. */
  store?: string | Keyv;
  /** Keep what a resend needs (template data or bodies, attachments). Default true. */
  storeContent?: boolean;
  /** How long entries are kept; 0 keeps them forever. Default 90 days. */
  ttlMs?: number;
  /**
   * Encrypts the stored content (bodies, template data, attachments) with AES-256-GCM: a 32-byte
   * key as 64 hex characters or base64. Entries written without a key stay readable. Default
   * `MAILROOM_JOURNAL_KEY`, else none.
   */
  encryptionKey?: string;
}

export interface JournalQuery {
  status?: JournalStatus;
  /** Entries created at or after this time. */
  since?: Date | string;
  /** Entries created before this time. */
  until?: Date | string;
  /** Entries with this recipient (to, cc or bcc; case-insensitive substring). */
  to?: string;
  /** Entries with a recipient in this delivery state (from provider webhooks). */
  delivery?: DeliveryState;
  /** Page size. Default 50. */
  limit?: number;
  /** From a previous page's `cursor`. */
  cursor?: string;
}

export interface JournalPage {
  entries: JournalEntry[];
  /** Pass as `cursor` to get the next (older) page; absent on the last page. */
  cursor?: string;
}

/** How long entries are kept when `ttlMs` is not set: 90 days. */
export const DEFAULT_TTL_MS = 90 * 24 * 60 * 60 * 1000;
const ENTRY = 'entry:';
const KEY = IDEMPOTENCY_PREFIX;
/** How often a claim re-reads a key that changed hands under it (another send took it over meanwhile). */
const CLAIM_ROUNDS = 5;
/** How long a claimed key's entry may take to reach the store (SQLite waits up to 10 s for a lock). */
const CLAIM_WRITE_GRACE_MS = 15_000;
/**
 * An entry rewritten this long after it was made (a delivery event days later, a resend's link)
 * writes its content row again: the content row's expiry then moves with the entry's, and a late
 * webhook never leaves an entry behind the content it would be resent from. The writes of a send
 * itself come sooner and leave the content row alone.
 */
const CONTENT_REFRESH_AFTER_MS = 60 * 60 * 1000;

/**
 * What `SendJournal.claim` answers for a message about to be sent: the one place that decides
 * whether its idempotency key was seen before.
 */
export type JournalClaim =
  /** Already delivered under this key: `entry` holds the result; nothing is sent. */
  | { kind: 'sent'; entry: JournalEntry }
  /**
   * An earlier send of this key has not finished (pending, or queued for a worker): another process
   * may be sending it now, or a stopped one left it. The mailer waits for it (idempotency.ts).
   */
  | { kind: 'resume'; entry: JournalEntry }
  /**
   * Send it as `entry` (pending, written). With `previous`, the key's earlier send failed:
   * `entry` resends it, and both are linked (`resendOf`, `resentAs`, the latter already written).
   */
  | { kind: 'new'; entry: JournalEntry; previous?: JournalEntry };
/** Event loop turns a journal write waits for others to share its commit (see `flushSoon`). */
const GROUP_COMMIT_TURNS = 6;
/** Rows that commit at once without waiting further. */
const GROUP_COMMIT_ROWS = 200;
// Random characters from the pooled CSPRNG (src/core/random-pool.ts), not one crypto call each.
const nextId = monotonicFactory(randomUnit);

/** What a queued write answers: with `claimed`, its key's claim was made in the same commit (and `holder` is claimKey's answer). */
type Written = { claimed: false } | { claimed: true; holder: string | undefined };
interface Waiter {
  keys: string[];
  /** The content object whose row this write carries (and its entry): known stored once it commits. */
  content?: { message: MailMessage; entryId: string };
  claim?: BatchClaim;
  resolve: (written: Written) => void;
  reject: (error: unknown) => void;
}

// storeContent and ttlMs as a JavaScript caller may pass them: a "false" string would keep every
// body (it is truthy), a "30d" string or a negative number would keep entries for ever.
function checkJournalValues(options: JournalOptions): void {
  const problems: string[] = [];
  const { storeContent, ttlMs } = options as { storeContent?: unknown; ttlMs?: unknown };
  if (storeContent !== undefined && typeof storeContent !== 'boolean') problems.push(`option "journal.storeContent": expected true or false, got ${describeValue(storeContent)}`);
  if (ttlMs !== undefined && !(typeof ttlMs === 'number' && Number.isInteger(ttlMs) && ttlMs >= 0)) {
    problems.push(`option "journal.ttlMs": expected a whole number of milliseconds, 0 or more (0 keeps entries), got ${typeof ttlMs === 'number' ? ttlMs : describeValue(ttlMs)}`);
  }
  if (problems.length > 0) {
    throw new MailError('CONFIG', problems.join('; '), { remedy: 'Give storeContent as a boolean and ttlMs in milliseconds, e.g. journal: { storeContent: false, ttlMs: 30 * 24 * 60 * 60 * 1000 }; README "Mailer options".' });
  }
}

/**
 * The journal's key: `encryptionKey` (the journal option), else MAILROOM_JOURNAL_KEY, else none. A
 * value that is not a key is CONFIG naming where it came from (`mailroom doctor` reports it too).
 */
export function journalKeyOf(encryptionKey: string | undefined): JournalKey | undefined {
  const key = encryptionKey ?? (process.env.MAILROOM_JOURNAL_KEY || undefined);
  const source = encryptionKey !== undefined ? 'journal.encryptionKey' : 'MAILROOM_JOURNAL_KEY';
  return key === undefined ? undefined : JournalKey.parse(key, source);
}

/** The journal's storage side. The mailer adds `resend` on top (see `MailerJournal`). */
export class SendJournal {
  readonly storeContent: boolean;
  private readonly ttlMs: number | undefined;
  private readonly store: string | Keyv | undefined;
  readonly #key: JournalKey | undefined;
  // Sealed once per content object: an entry is written pending, then sent or failed.
  readonly #sealed = new WeakMap<MailMessage, { entryId: string; text: string }>();
  // Content objects and the entry whose content row holds them (written, or read from it): that
  // entry's later writes leave its content row alone (see entry-content.ts). A resend's new entry
  // carries the same object under another id, and writes a row of its own.
  readonly #contentStored = new WeakMap<MailMessage, string>();
  private opening: Promise<OpenedStore> | undefined;
  private queue = new Map<string, unknown>();
  private flushing: Promise<void> | undefined;
  // Once the store is known to be a synchronous SQLite (which writes rows as text in one
  // transaction), queued rows are serialized as they are queued (SerializedValue): the text is
  // their snapshot, instead of a copy serialized later.
  private rowsAsText = false;
  private waiters: Waiter[] = [];

  constructor(options: JournalOptions = {}) {
    checkJournalValues(options);
    this.storeContent = options.storeContent ?? true;
    const ttl = options.ttlMs ?? DEFAULT_TTL_MS;
    this.ttlMs = ttl > 0 ? ttl : undefined;
    checkJournalStore(options.store); // a typo is CONFIG now, not a warning at the first send
    this.store = options.store;
    this.#key = journalKeyOf(options.encryptionKey);
  }

  /**
   * Opens the store, on first use only: a mailer that never sends writes nothing (a read-only or
   * serverless filesystem). Rejects with a CONFIG MailError, with a remedy, when the store cannot
   * be opened and written (TRANSIENT while another process holds its lock); a later call tries again.
   */
  open(): Promise<OpenedStore> {
    if (!this.opening) {
      const opening = openJournalStore(this.store);
      this.opening = opening;
      opening.then(
        (opened) => void (this.rowsAsText = opened.commitWithClaims !== undefined),
        // Each caller gets the rejection it awaits; the next use tries again (a lock held by another
        // process a moment too long must not turn the journal off for the life of the mailer).
        () => {
          if (this.opening === opening) this.opening = undefined;
        },
      );
    }
    return this.opening;
  }

  /** A description of the store without credentials, e.g. "sqlite:.mailroom/journal.sqlite". */
  async describe(): Promise<string> {
    return (await this.open()).description;
  }

  /** A new pending entry for a message about to be sent. Not yet written: see `write`. */
  createEntry(message: NormalizedMessage, content: MailMessage | undefined, extra: { resendOf?: string } = {}): JournalEntry {
    return newJournalEntry(message, this.storeContent ? content : undefined, extra);
  }

  /**
   * Decides, for a message about to be sent, what its idempotency key says (see `JournalClaim`),
   * reserving the key for the new entry through the store's atomic `claimKey`. A new entry is
   * written (pending) before this resolves: the journal then holds the message whatever happens
   * next. Rejects when the store cannot be read or written (a key cannot then be honoured).
   */
  async claim(message: NormalizedMessage, content: MailMessage | undefined): Promise<JournalClaim> {
    const entry = this.createEntry(message, content);
    const key = message.idempotencyKey;
    if (!key) {
      await this.write(entry);
      return { kind: 'new', entry };
    }
    // Written before the key points at it, and without moving the key (claimKey alone does): whoever
    // finds the key finds its entry, or the claim's write is still on its way (see `holderOf`). On
    // SQLite the write's batch makes the claim in the same transaction (one commit for both).
    const written = await this.enqueue(entry, { moveKey: false, claim: key });
    const { claimKey } = await this.open();
    const ttl = this.ttlMs ? { ttlMs: this.ttlMs } : {};
    let holder = written.claimed ? written.holder : await claimKey(key, entry.id, ttl);
    let previous: JournalEntry | undefined;
    for (let round = 1; ; round++) {
      if (holder === undefined) return previous ? this.resending(entry, previous) : { kind: 'new', entry };
      const earlier = await this.holderOf(holder);
      // A queued entry (queue mode) is as good as pending: a worker will send it.
      if (earlier?.status === 'sent' || earlier?.status === 'pending' || earlier?.status === 'queued') {
        await this.forget(entry);
        return earlier.status === 'sent' ? { kind: 'sent', entry: earlier } : { kind: 'resume', entry: earlier };
      }
      // A failed send of the key (a caller retrying it) is taken over by a resend of it; a key whose
      // entry was never written (its process stopped in between) or has expired is free again.
      previous = earlier;
      if (round >= CLAIM_ROUNDS) break;
      holder = await claimKey(key, entry.id, { replacing: holder, ...ttl });
    }
    await this.forget(entry);
    throw new MailError('TRANSIENT', `the idempotency key "${key}" changed hands ${CLAIM_ROUNDS} times while it was claimed: other sends of it are running`);
  }

  // The entry a key points at. One missing but younger than CLAIM_WRITE_GRACE_MS (its id says when
  // it was made) may be on its way to the store: it is awaited, not taken for a stopped process's.
  private async holderOf(id: string): Promise<JournalEntry | undefined> {
    for (;;) {
      const entry = await this.get(id);
      if (entry) return entry;
      let made: number;
      try {
        made = decodeTime(id);
      } catch {
        return undefined;
      }
      if (Date.now() - made > CLAIM_WRITE_GRACE_MS) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Drops an entry written for a claim that lost: the message is the key's earlier entry's. */
  async forget(entry: JournalEntry): Promise<void> {
    const { keyv } = await this.open();
    await keyv.deleteMany([ENTRY + entry.id, CONTENT + entry.id]);
  }

  // Links the new entry to the failed one it resends, both ways, so `resend --failed` does not send
  // the failed one a second time.
  private async resending(entry: JournalEntry, previous: JournalEntry): Promise<JournalClaim> {
    entry.resendOf = previous.id;
    previous.resentAs = [...(previous.resentAs ?? []), entry.id];
    await this.write(previous);
    return { kind: 'new', entry, previous };
  }

  /**
   * Writes an entry (and its idempotency key). Resolves once it is durable. Writes made within a few
   * turns of the event loop are committed in one batch (group commit, see `flushSoon`).
   */
  async write(entry: JournalEntry): Promise<void> {
    await this.enqueue(entry, {});
  }

  // `write`, and for a claim (`claim`: the entry's idempotency key) the claim of its key too where
  // the store commits both at once.
  private enqueue(entry: JournalEntry, options: { moveKey?: boolean; claim?: string }): Promise<Written> {
    entry.updatedAt = new Date().toISOString();
    const keys = [ENTRY + entry.id];
    const { row, content } = splitContent(this.stored(entry));
    // The entry as it is now: the send goes on changing it.
    const frozen = (value: unknown) => (this.rowsAsText ? new SerializedValue(value) : snapshot(value));
    this.queue.set(ENTRY + entry.id, frozen(row));
    // The content row is written with the entry's first write, and again only for content it has not seen stored.
    const alreadyStored = entry.content !== undefined && this.#contentStored.get(entry.content) === entry.id && Date.now() - Date.parse(entry.createdAt) < CONTENT_REFRESH_AFTER_MS;
    const writesContent = content !== undefined && !alreadyStored;
    if (writesContent) {
      keys.push(CONTENT + entry.id);
      this.queue.set(CONTENT + entry.id, frozen(content));
    }
    // An entry that was resent is superseded by its resend: rewriting it (to add the link) must not
    // point its idempotency key back at it. A claim moves the key itself (claimKey).
    if (entry.idempotencyKey && !entry.resentAs?.length && options.moveKey !== false) {
      keys.push(KEY + entry.idempotencyKey);
      this.queue.set(KEY + entry.idempotencyKey, entry.id);
    }
    // A sent entry is found again by the ids provider webhooks name it by (see delivery.ts).
    if (entry.status === 'sent') {
      for (const ref of new Set(entryRefs(entry).map(refKey))) {
        keys.push(ref);
        this.queue.set(ref, entry.id);
      }
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({
        keys,
        ...(options.claim !== undefined ? { claim: { key: options.claim, entryId: entry.id } } : {}),
        ...(writesContent && entry.content ? { content: { message: entry.content, entryId: entry.id } } : {}),
        resolve,
        reject,
      });
      if (!this.flushing) this.flushing = this.flushSoon();
    });
  }

  async get(id: string): Promise<JournalEntry | undefined> {
    const { keyv } = await this.open();
    const row = await keyv.get<EntryRow>(ENTRY + canonicalEntryId(id));
    return row ? (await this.readBack(keyv, [row]))[0] : undefined;
  }

  // Entry rows as callers see them: content back in (entry-content.ts) and opened with the key.
  private async readBack(keyv: Keyv, rows: EntryRow[]): Promise<JournalEntry[]> {
    const entries = await withContent(rows, (ids) => keyv.getMany<ContentRow>(ids.map((id) => CONTENT + id)) as Promise<Array<ContentRow | undefined>>);
    return entries.map((stored, index) => {
      const entry = this.revealed(stored);
      // Only content read from its own row is known stored there (an older entry's inline content is not yet).
      if (entry.content && rows[index]!.contentRow && (stored.content || stored.sealedContent)) this.#contentStored.set(entry.content, entry.id);
      return entry;
    });
  }

  /**
   * What a resend of this entry sends. Throws CONFIG, saying why, when the entry is sensitive, or its
   * content is encrypted and the key is missing or another one; undefined with `storeContent: false`.
   */
  contentFor(entry: JournalEntry): MailMessage | undefined {
    if (entry.sensitive) {
      throw new MailError('CONFIG', `journal entry ${entry.id} is a sensitive message (it carried a credential such as a password-reset or confirmation link): its content was never kept, so it cannot be resent`, {
        remedy: 'Ask the recipient to request a new link (forgot password, resend confirmation): an old link should not be sent again anyway.',
      });
    }
    if (entry.content || !entry.sealedContent) return entry.content;
    if (!this.#key) {
      throw new MailError('CONFIG', `the stored content of journal entry ${entry.id} is encrypted and no journal key is set`, {
        remedy: 'Set journal.encryptionKey (or MAILROOM_JOURNAL_KEY) to the key the entry was written with.',
      });
    }
    return this.#key.open(entry.sealedContent, entry.id);
  }

  /**
   * Holds `name` for one caller across every process sharing the store: the atomic claimKey, under a
   * name no idempotency key can have (keys hold no line break). Resolves its release, or undefined
   * while another caller holds it. A lease its holder kept for `staleAfterMs` without releasing it
   * (the holder stopped) is taken over, so a killed process never locks an entry for good.
   */
  async lease(name: string, staleAfterMs: number): Promise<(() => Promise<void>) | undefined> {
    const { claimKey } = await this.open();
    const row = `\n${name}`;
    const ttl = this.ttlMs ? { ttlMs: this.ttlMs } : {};
    const mine = `${Date.now()} ${nextId()}`;
    const holder = await claimKey(row, mine, ttl);
    if (holder !== undefined) {
      // "<taken at> <id>"; a holder without a time was written before leases had one.
      const takenAt = Number(holder.split(' ')[0]);
      if (Number.isFinite(takenAt) && Date.now() - takenAt < staleAfterMs) return undefined;
      if ((await claimKey(row, mine, { replacing: holder, ...ttl })) !== undefined) return undefined;
    }
    // Released as a row that expires at once, and only while it is still this caller's.
    return async () => {
      await claimKey(row, '0 released', { replacing: mine, ttlMs: 1 }).catch(() => undefined);
    };
  }

  /**
   * Whether `owner` speaks for every process sharing the store in the matter `name` (an alert scan
   * each process runs over the same entries): the first to ask holds it and renews it at each ask;
   * one that stops asking lets it lapse after `ttlMs` (the row expires), and the next to ask takes
   * it. Built on the atomic claimKey, so two processes never both hold it.
   */
  async lead(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const { claimKey } = await this.open();
    const holder = await claimKey(leadRow(name), owner, { ttlMs });
    if (holder === undefined) return true;
    if (holder !== owner && holder !== LEAD_RELEASED) return false;
    return (await claimKey(leadRow(name), owner, { replacing: holder, ttlMs })) === undefined;
  }

  /** Gives up `lead(name, owner)`, so another process takes it at its next ask. */
  async leaveLead(name: string, owner: string): Promise<void> {
    const { claimKey } = await this.open();
    await claimKey(leadRow(name), LEAD_RELEASED, { replacing: owner, ttlMs: 1 });
  }

  /** The entry last written under an idempotency key. */
  async findByIdempotencyKey(key: string): Promise<JournalEntry | undefined> {
    const { keyv } = await this.open();
    const id = await keyv.get<string>(KEY + key);
    return id ? this.get(id) : undefined;
  }

  /** Entries newest first, filtered; fast on the SQLite store even with 100k entries. */
  async list(query: JournalQuery = {}): Promise<JournalPage> {
    // The query is checked before the store is opened: bad input fails the same on every store.
    query = checkQuery(query);
    const range = idRange(query);
    const opened = await this.open();
    const limit = Math.max(1, Math.min(query.limit ?? 50, 10_000));
    const matches = entryFilter(query);
    const entries = opened.sql
      ? await this.listSql(opened, range, query, limit + 1)
      : await this.listScan(opened, range, matches, limit + 1);
    const page = await this.readBack(opened.keyv, entries.slice(0, limit));
    const more = entries.length > limit;
    return more ? { entries: page, cursor: page[page.length - 1]!.id } : { entries: page };
  }

  /** Deletes expired entries (the SQLite store does not expire rows by itself). Returns how many. */
  async prune(now = Date.now()): Promise<number> {
    const { keyv, sql, description } = await this.open();
    if (sql) {
      const table = sql.opts.table;
      const expires = sqlDialect(sql).number('expires');
      // Counted: entries; deleted: every expired row (idempotency keys and message-id index too).
      const rows = await sql.query(`SELECT COUNT(*) AS n FROM ${table} WHERE key LIKE ? AND ${expires} < ?`, `mailroom:${ENTRY}%`, now);
      await sql.query(`DELETE FROM ${table} WHERE key LIKE ? AND ${expires} < ?`, 'mailroom:%', now);
      return Number(rows[0]?.n ?? 0);
    }
    let pruned = 0;
    if (!keyv.iterator) return 0;
    for await (const [key] of scanStore(keyv, description)) {
      // keyv.get drops expired entries as it reads them.
      if (String(key).includes(ENTRY) && (await keyv.get(String(key).replace(/^mailroom:/, ''))) === undefined) pruned++;
    }
    return pruned;
  }

  /** Waits for pending writes and closes the store. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    // Never opened (nothing was sent), or it could not be: nothing to close.
    const opened = await this.opening?.catch(() => undefined);
    if (opened?.owned) await opened.keyv.disconnect();
  }

  // The entry as written: its content sealed when there is a key.
  private stored(entry: JournalEntry): JournalEntry {
    if (!this.#key || !entry.content) return entry;
    // Sealed for this entry's id (a resend's entry carries the same content object under another).
    let sealed = this.#sealed.get(entry.content);
    if (sealed?.entryId !== entry.id) this.#sealed.set(entry.content, (sealed = { entryId: entry.id, text: this.#key.seal(entry.content, entry.id) }));
    const { content: _content, ...rest } = entry;
    return { ...rest, sealedContent: sealed.text };
  }

  // The entry as read: its content opened when this key sealed it; otherwise left sealed, and a
  // resend says why (contentFor).
  private revealed(entry: JournalEntry): JournalEntry {
    if (!entry.sealedContent || !this.#key) return entry;
    try {
      const content = this.#key.open(entry.sealedContent, entry.id);
      const { sealedContent: _sealed, ...rest } = entry;
      return { ...rest, content };
    } catch {
      return entry;
    }
  }

  // Group commit: the first write waits a few turns of the event loop for the writes that other
  // sends in flight reach meanwhile, so one commit carries many (on SQLite a commit writes every page
  // it touched to the WAL, and the same few pages are touched by every row: 5,000 SMTP sends, 32 in
  // flight, made 5,000 commits of ~4 rows at one turn, ~1,800 of ~11 at six, for ~20 % more
  // throughput). An idle loop goes through its turns in microseconds: a lone send does not wait.
  private async flushSoon(): Promise<void> {
    for (let turn = 0; turn < GROUP_COMMIT_TURNS && this.queue.size < GROUP_COMMIT_ROWS; turn++) await nextTurn();
    while (this.queue.size > 0) {
      const batch = this.queue;
      const waiters = this.waiters;
      this.queue = new Map();
      this.waiters = [];
      let opened: OpenedStore;
      try {
        opened = await this.open();
      } catch (error) {
        for (const waiter of waiters) waiter.reject(error);
        continue;
      }
      const claims = waiters.flatMap((waiter) => (waiter.claim ? [waiter.claim] : []));
      // On a synchronous SQLite every batch goes this way, claims or none: one transaction, no promise per row.
      const holders = await this.commitWithClaims(opened, batch, claims);
      const failed = holders ? new Map<string, unknown>() : await this.commit(opened.keyv, batch);
      for (const waiter of waiters) {
        const error = waiter.keys.map((key) => failed.get(key)).find((one) => one !== undefined);
        if (error !== undefined) waiter.reject(error);
        else {
          if (waiter.content) this.#contentStored.set(waiter.content.message, waiter.content.entryId);
          waiter.resolve(waiter.claim && holders ? { claimed: true, holder: holders.get(waiter.claim) } : { claimed: false });
        }
      }
    }
    this.flushing = undefined;
  }

  // The batch and its claims in one transaction, where the store can (SQLite on a synchronous
  // binding); undefined, having written nothing, where it cannot or the transaction failed: the batch
  // is then committed as any other and each claim made on its own.
  private async commitWithClaims(opened: OpenedStore, batch: Map<string, unknown>, claims: BatchClaim[]): Promise<Map<BatchClaim, string | undefined> | undefined> {
    if (!opened.commitWithClaims) return undefined;
    try {
      const holders = await opened.commitWithClaims([...batch].map(([key, value]) => ({ key, value })), claims, this.ttlMs);
      return new Map(claims.map((claim, index) => [claim, holders[index]]));
    } catch {
      return undefined;
    }
  }

  // One batch in one transaction; when the store refuses it, row by row, so one row it cannot take
  // (a value it cannot serialize, a row too large) fails alone. Returns the rows that failed.
  private async commit(keyv: Keyv, queued: Map<string, unknown>): Promise<Map<string, unknown>> {
    const ttl = this.ttlMs ? { ttl: this.ttlMs } : {};
    const failed = new Map<string, unknown>();
    // Rows queued as text (a synchronous SQLite whose one transaction failed) go to keyv as values again.
    const batch = new Map<string, unknown>();
    for (const [key, value] of queued) batch.set(key, value instanceof SerializedValue ? await valueOf(keyv, value) : value);
    try {
      const results = await keyv.setMany([...batch].map(([key, value]) => ({ key, value, ...ttl })));
      if (results.every(Boolean)) return failed;
    } catch {
      // Written again below, row by row, to find the row at fault.
    }
    // Content rows first: an entry whose content the store refused is not written without it (a
    // pending entry that could not be resent), and fails with it.
    const rows = [...batch].sort(([a], [b]) => Number(b.startsWith(CONTENT)) - Number(a.startsWith(CONTENT)));
    for (const [key, value] of rows) {
      // A message-id index row is only worth writing with its entry (and costs no second wait on a dead store).
      const entryFailure = isRefKey(key)
        ? failed.get(ENTRY + String(value))
        : key.startsWith(ENTRY) ? failed.get(CONTENT + key.slice(ENTRY.length)) : undefined;
      if (entryFailure !== undefined) {
        failed.set(key, entryFailure);
        continue;
      }
      try {
        if (!(await keyv.set(key, value, this.ttlMs))) failed.set(key, new Error(`the journal store did not write ${key}`));
      } catch (error) {
        failed.set(key, error);
      }
    }
    return failed;
  }

  private async listSql(opened: OpenedStore, range: { low: string; high: string }, query: JournalQuery, limit: number): Promise<EntryRow[]> {
    const sql = opened.sql!;
    const { text, number, contains } = sqlDialect(sql);
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (query.status) {
      conditions.push(`${text('value.status')} = ?`);
      params.push(query.status);
    }
    if (query.delivery) {
      // The states array as JSON text holds "bounced" (quotes included) when a recipient is in it.
      conditions.push(contains(text('value.delivery.states')));
      params.push(JSON.stringify(query.delivery));
    }
    // SQLite's lower() folds ASCII only: a recipient searched with other letters (élodie) is matched
    // here, page by page, as the scan matches it. PostgreSQL's lower() folds them all.
    const toInJs = query.to !== undefined && sql.opts.dialect !== 'postgres' && /[^\x00-\x7f]/.test(query.to);
    if (query.to && !toInJs) {
      conditions.push(contains(`lower(${text('value.summary.to')} || ${text('value.summary.cc')} || ${text('value.summary.bcc')})`));
      params.push(query.to.toLowerCase());
    }
    conditions.push(`(${number('expires')} IS NULL OR ${number('expires')} > ?)`);
    params.push(Date.now());
    const page = async (high: string, size: number): Promise<EntryRow[]> => {
      const rows = await sql.query(
        `SELECT value FROM ${sql.opts.table} WHERE key > ? AND key < ? AND ${conditions.join(' AND ')} ORDER BY key DESC LIMIT ?`,
        `mailroom:${ENTRY}${range.low}`,
        `mailroom:${ENTRY}${high}`,
        ...params,
        size,
      );
      const out: EntryRow[] = [];
      for (const row of rows) {
        const data = (await opened.keyv.deserialize!(row.value as string)) as { value: EntryRow } | undefined;
        if (data?.value) out.push(data.value);
      }
      return out;
    };
    if (!toInJs) return page(range.high, limit);
    const matches = entryFilter({ to: query.to });
    const found: EntryRow[] = [];
    const size = Math.max(limit * 4, 200);
    for (let high = range.high; found.length < limit; ) {
      const rows = await page(high, size);
      found.push(...rows.filter(matches));
      if (rows.length < size) break;
      high = rows.at(-1)!.id;
    }
    return found.slice(0, limit);
  }

  // Stores without SQL (memory, Redis, Postgres through keyv): read every entry, then filter and sort.
  private async listScan({ keyv, description }: OpenedStore, range: { low: string; high: string }, matches: (entry: EntryRow) => boolean, limit: number): Promise<EntryRow[]> {
    if (!keyv.iterator) return [];
    const found: EntryRow[] = [];
    for await (const [key, value] of scanStore(keyv, description)) {
      const id = entryIdOf(key);
      if (id === undefined || id <= range.low || id >= range.high || !isEntryRow(value)) continue;
      if (matches(value)) found.push(value);
    }
    found.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return found.slice(0, limit);
  }
}

/**
 * Every row of a store keyv can iterate (memory, Redis...), as keyv.iterator() yields them, but
 * without failing on a row that expired between the listing of its key and its reading (Redis drops
 * it on its TTL; keyv's own iterator then throws a TypeError and the whole listing fails).
 * Expired rows are skipped, as keyv skips them.
 */
async function* scanStore(keyv: Keyv, description: string): AsyncGenerator<[string, unknown]> {
  const store = keyv.store as Map<string, unknown> | { namespace?: string; iterator(namespace?: string): AsyncIterable<[string, unknown]> };
  try {
    const rows = store instanceof Map ? store : store.iterator(store.namespace);
    for await (const [key, raw] of rows) {
      if (raw === undefined || raw === null) continue;
      if (keyv.useKeyPrefix && keyv.namespace && !String(key).includes(keyv.namespace)) continue;
      const data = await keyv.deserializeData(raw as string);
      if (!data || (typeof data.expires === 'number' && Date.now() > data.expires)) continue;
      yield [keyv._getKeyUnprefix(String(key)), data.value];
    }
  } catch (error) {
    // The raw store is read here, past the wrapper that names the store in its other calls' failures:
    // a Redis that is down would otherwise fail a listing with the driver's words alone.
    throw storeFailure(error, description);
  }
}

/**
 * The SQL spelling of a field of the stored JSON (`value.status`) on each SQL store: SQLite's
 * json_extract, PostgreSQL's jsonb path operators. Both give arrays as their JSON text.
 */
function sqlDialect(sql: SqlCapableStore): { text(path: string): string; number(path: string): string; contains(haystack: string): string } {
  if (sql.opts.dialect === 'postgres') {
    const text = (path: string) => `(value::jsonb #>> '{${path.split('.').join(',')}}')`;
    return { text, number: (path) => `${text(path)}::bigint`, contains: (haystack) => `strpos(${haystack}, ?) > 0` };
  }
  const text = (path: string) => `json_extract(value, '$.${path}')`;
  return { text, number: text, contains: (haystack) => `instr(${haystack}, ?) > 0` };
}

// A serialized value read back as keyv reads its rows.
async function valueOf(keyv: Keyv, value: SerializedValue): Promise<unknown> {
  const row = keyvRow(value, undefined);
  const data = (keyv.deserialize ? await keyv.deserialize(row) : JSON.parse(row)) as { value?: unknown } | undefined;
  return data?.value;
}

/**
 * The entry as it is now, for the write queue (the send goes on changing it): what structuredClone
 * gives, about five times faster on an entry's plain objects, arrays and strings, which is all an
 * entry holds but for template data; anything else (a Date, a Buffer, a function: refused as
 * structuredClone refuses it) goes through structuredClone itself.
 */
function snapshot<T>(value: T): T {
  if (typeof value === 'function') return structuredClone(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(snapshot) as T;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = snapshot((value as Record<string, unknown>)[key]);
  return copy as T;
}

/** A pending entry for a message about to be sent; `content` is kept for resends when given. */
export function newJournalEntry(message: NormalizedMessage, content: MailMessage | undefined, extra: { resendOf?: string } = {}): JournalEntry {
  const now = new Date().toISOString();
  return {
    id: nextId(),
    status: 'pending',
    createdAt: now,
    updatedAt: now,
    messageId: message.messageId,
    ...(message.idempotencyKey ? { idempotencyKey: message.idempotencyKey } : {}),
    summary: summarize(message),
    // A credential (a reset link) is never stored, whatever storeContent says.
    ...(message.sensitive ? { sensitive: true } : content ? { content } : {}),
    attempts: [],
    ...(extra.resendOf ? { resendOf: extra.resendOf } : {}),
  };
}

function summarize(message: NormalizedMessage): MessageSummary {
  return {
    from: formatAddress(message.from),
    to: message.to.map(formatAddress),
    cc: message.cc.map(formatAddress),
    bcc: message.bcc.map(formatAddress),
    replyTo: message.replyTo.map(formatAddress),
    subject: message.subject,
    ...(message.template ? { template: message.template.name } : {}),
    ...(message.template?.locale ? { locale: message.template.locale } : {}),
    tags: message.tags,
    metadata: message.metadata,
    attachments: message.attachments.map((a) => a.filename),
    sizes: {
      html: Buffer.byteLength(message.html ?? ''),
      text: Buffer.byteLength(message.text ?? ''),
      attachments: message.attachments.reduce((sum, a) => sum + a.content.length, 0),
    },
  };
}

// ULIDs start with their creation time, so a time window is a key range; the cursor narrows it.
function idRange(query: JournalQuery): { low: string; high: string } {
  const since = timeBound(query.since, 'since');
  const until = timeBound(query.until, 'until');
  // A 10-character time prefix sorts just below every id of that millisecond.
  const low = since === undefined ? '' : encodeTime(Math.max(since, 0), 10);
  let high = until === undefined ? '\uffff' : encodeTime(Math.max(until, 0), 10);
  if (query.cursor && query.cursor < high) high = query.cursor;
  return { low, high };
}

// The id in an entry row's key: "entry:ID", or "mailroom:entry:ID" from a store whose iterator keeps
// the namespace. Only at the start: other rows' keys may hold "entry:" further on (an idempotency
// key "idempotency:ledger-entry:42" names an id, not an entry).
const ENTRY_KEY = new RegExp(`^(?:mailroom:)?${ENTRY}(.+)$`);

function entryIdOf(key: unknown): string | undefined {
  return ENTRY_KEY.exec(String(key))?.[1];
}

// A row written by another version or by hand may hold anything: only an object with a summary is
// an entry the filters can read.
function isEntryRow(value: unknown): value is EntryRow {
  return typeof value === 'object' && value !== null && typeof (value as Partial<EntryRow>).summary === 'object' && (value as Partial<EntryRow>).summary !== null;
}

/**
 * An entry id as the journal stores it: ids are ULIDs, whose base32 is case-insensitive, so an id
 * typed or copied in lower case names the same entry. Anything else is left as it is.
 */
export function canonicalEntryId(id: string): string {
  return typeof id === 'string' && ULID.test(id) ? id.toUpperCase() : id;
}

const STATUSES: readonly JournalStatus[] = ['queued', 'pending', 'sent', 'failed'];
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/i;

// A query from an admin screen or a script may hold anything. A status or delivery state with a typo
// would list nothing ("no failures"), a cursor that is not an id would list the first page again
// (a script paging would loop), and a limit or recipient of the wrong type would fail in the store.
function checkQuery(query: JournalQuery): JournalQuery {
  const refuse = (field: string, value: unknown, expected: string) =>
    new MailError('CONFIG', `journal.list(): ${field} ${JSON.stringify(value) ?? String(value)} is not valid: ${expected}`, { field });
  if (query === null || typeof query !== 'object') throw refuse('query', query, 'give an object such as { status: "failed", limit: 50 }');
  if (query.status !== undefined && !STATUSES.includes(query.status)) throw refuse('status', query.status, `one of ${STATUSES.join(', ')}`);
  if (query.delivery !== undefined && !DELIVERY_STATES.includes(query.delivery)) throw refuse('delivery', query.delivery, `one of ${DELIVERY_STATES.join(', ')}`);
  if (query.limit !== undefined && !(Number.isInteger(query.limit) && query.limit >= 1)) throw refuse('limit', query.limit, 'a whole number of 1 or more');
  if (query.to !== undefined && typeof query.to !== 'string') throw refuse('to', query.to, 'an address or part of one, as a string');
  if (query.cursor !== undefined && (typeof query.cursor !== 'string' || !ULID.test(query.cursor))) {
    throw refuse('cursor', query.cursor, "an entry id, as a previous page's cursor gives it");
  }
  return query.cursor === undefined ? query : { ...query, cursor: query.cursor.toUpperCase() };
}

// A bound that is not a date would otherwise drop out of the range in silence, and `since:
// 'yesterday'` would list everything.
function timeBound(value: Date | string | undefined, field: 'since' | 'until'): number | undefined {
  if (value === undefined) return undefined;
  const time = new Date(value).getTime();
  if (Number.isNaN(time)) {
    throw new MailError('CONFIG', `journal.list(): ${field} ${JSON.stringify(String(value))} is not a date: give a Date or an ISO 8601 string such as 2026-01-31 or 2026-01-31T08:00:00Z`);
  }
  return time;
}

function entryFilter(query: JournalQuery): (entry: EntryRow) => boolean {
  const to = query.to?.toLowerCase();
  return (entry) =>
    (!query.status || entry.status === query.status) &&
    (!query.delivery || (entry.delivery?.states ?? []).includes(query.delivery)) &&
    (!to || [...entry.summary.to, ...entry.summary.cc, ...entry.summary.bcc].some((address) => address.toLowerCase().includes(to)));
}

/**
 * Why a failed or pending entry's message may already have been delivered, or undefined. A resend
 * skips such an entry unless asked (`includePossibleDuplicates`, `--include-possible-duplicates`).
 */
export function possibleDeliveryReason(entry: JournalEntry): string | undefined {
  if (entry.status === 'sent') return undefined;
  if (entry.possibleDuplicate) return 'it is marked possible duplicate';
  const lost = entry.attempts.find((attempt) => attempt.error?.code === 'AMBIGUOUS');
  if (lost) return `${lost.adapter} lost the connection after the message was handed over`;
  if (entry.status === 'pending' && entry.handedOver) {
    return `${entry.handedOver.adapter} had been handed the message (${entry.handedOver.at}) when the sending process stopped`;
  }
  return undefined;
}

/** When an entry was created, from its id. */
export function entryTime(entry: Pick<JournalEntry, 'id'>): Date {
  return new Date(decodeTime(entry.id));
}

// A lead given up: free at once for the next to ask (its row expires soon after anyway).
const LEAD_RELEASED = '\nreleased';

// Under a name no idempotency key can have (keys hold no line break), as leases.
function leadRow(name: string): string {
  return `\nlead:${name}`;
}
