// Connection URLs of the journal's store and the queue, as mailroom prints them (errors, `doctor`,
// `mailroom queue`, the journal's description): a password in the userinfo or in the query string
// (ioredis and pg both read `?password=`) never shows, in any spelling.
import { describe, expect, it } from 'vitest';
import { redactConnectionUrl } from '../src/core/redact-url.js';
import { SendJournal } from '../src/journal/journal.js';

describe('redactConnectionUrl', () => {
  it.each([
    ['redis://:S3cretQ@cache:6379', 'redis://:***@cache:6379'],
    ['redis://app:S3cretQ@cache:6379/0', 'redis://app:***@cache:6379/0'],
    ['postgres://mail@db:5432/shop?password=S3cretQ&sslmode=require', 'postgres://mail@db:5432/shop?password=***&sslmode=require'],
    ['postgres://mail@db/shop?sslmode=require&pass%77ord=S3cretQ', 'postgres://mail@db/shop?sslmode=require&pass%77ord=***'],
    ['postgres://mail:S3c/ret@Q@db/shop', 'postgres://mail:***@db/shop'],
    ['redis://cache:6379', 'redis://cache:6379'],
  ])('%s', (url, printed) => {
    expect(redactConnectionUrl(url)).toBe(printed);
  });
});

describe("the journal's description of its store", () => {
  it('hides a password given in the query string, and a server that is down fails its queries, never the process', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const journal = new SendJournal({ store: 'postgres://mail@127.0.0.1:1/shop?password=S3cretQ' });
      const described = await journal.describe();
      expect(described).toBe('postgres://mail@127.0.0.1:1/shop?password=***');
      const error = (await journal.get('01M8JS8JY7DRHWPTYQXE9NXZWY').catch((thrown: unknown) => thrown)) as Error;
      expect(String(error?.message)).toMatch(/ECONNREFUSED/);
      expect(String(error?.message)).not.toContain('S3cretQ');
      await journal.close();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});
