// remedyApart: an error's message and its remedy, to show apart (the CLI's printError and the admin
// API read errors through it). ALL_FAILED ends its message with its last remedy for logs that print
// only the message; shown apart, the remedy must appear once, and never as "undefined".
import { describe, expect, it } from 'vitest';
import { failover, MailError } from '../src/index.js';
import { diagnose, genericRemedy } from '../src/core/diagnose.js';
import { remedyApart, withRemedySentence } from '../src/core/errors.js';
import { normalizeMessage } from '../src/core/message.js';
import { expectFailure, MESSAGES, sendContext } from './conformance.js';
import { scriptedAdapter } from './helpers/scripted-adapter.js';

const CHECK_KEY = 'Create a new API key and set it as BREVO_API_KEY.';
const WAIT = 'Wait a minute and send again.';

describe('remedyApart', () => {
  it('cuts the last remedy off a real ALL_FAILED message and gives it apart, once', async () => {
    const chain = failover([
      scriptedAdapter('first', [{ fail: 'AUTH', options: { remedy: CHECK_KEY } }]),
      scriptedAdapter('second', [{ fail: 'TRANSIENT', options: { remedy: WAIT } }]),
    ], { retry: { attempts: 1 } });
    const error = await expectFailure(chain.send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(error.code).toBe('ALL_FAILED');
    expect(error.message).toBe(`[mailroom] every adapter failed: first: AUTH; second: TRANSIENT. Last remedy: ${WAIT}`);

    const shown = remedyApart(error);
    expect(shown).toEqual({ message: '[mailroom] every adapter failed: first: AUTH; second: TRANSIENT', remedy: WAIT });
    // The journal keeps the same message and remedy on a failed entry: its plain copy reads the same.
    expect(remedyApart({ message: error.message, remedy: error.specificRemedy })).toEqual(shown);
    // What the CLI reads (the catalogue consulted first) is the same: the error's own remedy wins.
    expect(remedyApart(diagnose(error))).toEqual(shown);
  });

  it('leaves an ALL_FAILED message without a remedy sentence as it is', () => {
    const message = `[mailroom] ${withRemedySentence('every adapter failed: first: AUTH', undefined)}`;
    expect(message).toBe('[mailroom] every adapter failed: first: AUTH');
    // As stored on a journal entry without a remedy: nothing to cut, no remedy to show.
    expect(remedyApart({ message })).toEqual({ message });
    expect(remedyApart({ message, remedy: undefined })).toEqual({ message });
    // As a MailError: its code's generic next step, with the message whole.
    expect(remedyApart(new MailError('ALL_FAILED', 'every adapter failed: first: AUTH'))).toEqual({ message, remedy: genericRemedy('ALL_FAILED') });
  });

  it('keeps the message of an error whose remedy is not written into it', () => {
    const error = new MailError('AUTH', '535 5.7.3 Authentication unsuccessful', { provider: 'smtp', remedy: CHECK_KEY });
    expect(remedyApart(error)).toEqual({ message: '[mailroom] [smtp] 535 5.7.3 Authentication unsuccessful', remedy: CHECK_KEY });
    // Only the very sentence is cut: a message that merely ends with the remedy's words stays whole,
    // and so does one whose "Last remedy" names another remedy than the error's.
    expect(remedyApart({ message: `refused: ${WAIT}`, remedy: WAIT })).toEqual({ message: `refused: ${WAIT}`, remedy: WAIT });
    const other = withRemedySentence('every adapter failed: first: AUTH', CHECK_KEY);
    expect(remedyApart({ message: other, remedy: WAIT })).toEqual({ message: other, remedy: WAIT });
  });

  it('takes an error that is no MailError: its message, and no remedy', () => {
    expect(remedyApart(new Error('socket hang up'))).toEqual({ message: 'socket hang up' });
    expect(remedyApart({ message: 'your role may not resend emails', remedy: '' })).toEqual({ message: 'your role may not resend emails' });
  });
});
