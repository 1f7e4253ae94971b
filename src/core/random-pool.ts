// Random bytes for ids (journal ULIDs, Message-IDs) drawn from a pooled buffer that the system's
// CSPRNG refills: one call into it per 4 KiB instead of one per id, or per character (the ulid
// package asks crypto for each of an id's 16 random characters: 30 µs of every send).
import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(4096);
let offset = pool.length;

function take(count: number): number {
  if (offset + count > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const start = offset;
  offset += count;
  return start;
}

/** `count` random bytes (at most 4,096) as base64url. */
export function randomBase64url(count: number): string {
  const start = take(count);
  return pool.toString('base64url', start, start + count);
}

/** `count` random bytes (at most 4,096) as hex. */
export function randomHex(count: number): string {
  const start = take(count);
  return pool.toString('hex', start, start + count);
}

/** A random number in [0, 1) in steps of 1/256: enough for ulid, which keeps 5 bits of it per character. */
export function randomUnit(): number {
  return pool[take(1)]! / 256;
}
