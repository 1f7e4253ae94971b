// Where an SQLite journal is, and whether it could be created there, without creating it: opening
// the store makes the file (and its folder) on the spot, which a check (`mailroom doctor`) or a
// command that only reads the journal must not do.
import { randomBytes } from 'node:crypto';
import { open, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DEFAULT_JOURNAL_PATH, unwritable } from './journal-store.js';

/**
 * The file an SQLite journal store names, as written (a path, or sqlite://path; undefined is the
 * default .mailroom/journal.sqlite); undefined for memory://, redis:// and postgres://.
 */
export function sqliteJournalPath(store: string | undefined): string | undefined {
  const target = store ?? DEFAULT_JOURNAL_PATH;
  if (target === 'memory' || (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) && !target.startsWith('sqlite://'))) return undefined;
  return target.replace(/^sqlite:\/\//, '');
}

/**
 * Proves that the journal `file` (an absolute path that does not exist yet) can be created, leaving
 * nothing behind: the nearest folder above it that exists must be a folder in which this process
 * can create a file (a temporary one, removed at once; permission bits alone miss a read-only mount
 * and ACLs). Answers that folder; throws the CONFIG error the first send would meet.
 */
export async function proveCreatable(file: string): Promise<string> {
  let folder = dirname(file);
  for (;;) {
    const found = await stat(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw unwritable(`cannot create the journal folder for ${file}: ${error.message}`, error);
    });
    if (found?.isDirectory()) break;
    if (found) throw unwritable(`cannot create the journal folder for ${file}: ${folder} is a file, not a folder`, undefined);
    const parent = dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  const probe = join(folder, `.mailroom-write-check-${randomBytes(6).toString('hex')}`);
  try {
    await (await open(probe, 'wx')).close();
  } catch (error) {
    throw unwritable(`cannot create the journal ${file}: ${folder} is not writable by this process (${(error as Error).message})`, error);
  }
  await rm(probe, { force: true });
  return folder;
}
