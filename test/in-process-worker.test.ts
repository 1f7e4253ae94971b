// The CMS integrations' in-process worker (`worker` option, queue mode) keeps trying to start while
// its queue server does not answer. Closing the CMS meanwhile must end that at once: the pause
// between two attempts has an unref'd timer, so a script whose CMS is destroyed had nothing else to
// keep it alive, and close() never resolved (Node exited 13, the mailer and its journal unclosed).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFixture } from './helpers/fixture-process.js';
import { freePort } from './helpers/redis-server.js';

describe('a CMS with an in-process worker whose queue server is down', () => {
  it.each(['strapi', 'payload'] as const)('%s: close() resolves and the script exits 0', async (cms) => {
    const port = await freePort(); // nothing listens there
    const journal = join(await mkdtemp(join(tmpdir(), 'mailroom-cms-close-')), 'journal.sqlite');
    const run = await startFixture('cms-close-queue-down', { cms, queue: `redis://127.0.0.1:${port}`, journal }).done;
    expect(run.stderr).not.toMatch(/unsettled top-level await/);
    expect(run.lines).toEqual([{ closed: true }]);
    expect(run.code).toBe(0);
  }, 30_000);
});
