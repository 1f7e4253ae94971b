// Assertions shared by the test files.
import { expect } from 'vitest';
import { MailError } from '../../src/core/errors.js';

/** Awaits a promise that must reject with a MailError, and returns the error. */
export async function mailErrorOf(promise: Promise<unknown>): Promise<MailError> {
  const error = await promise.then(
    () => { throw new Error('expected a MailError, but the promise resolved'); },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MailError);
  return error as MailError;
}
