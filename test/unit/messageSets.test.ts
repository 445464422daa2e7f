// The rows a triage action takes (Mail view messages and Search view hits alike) are grouped per
// account and folder: one IMAP command per folder, whatever mix of folders and accounts was selected.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AccountConfig } from '../../src/core/account';
import { type MessageSummary } from '../../src/core/mail/headers';
import { groupMessages, type MessageRow } from '../../src/triage/messageSets';

const account = (id: string): AccountConfig => ({ id, email: `${id}@example.test`, imap: { host: 'localhost', port: 993, security: 'tls', user: id } }) as AccountConfig;
const ACCOUNTS = new Map([['work', account('work')], ['home', account('home')]]);

function summary(uid: number, flags: string[] = []): MessageSummary {
  return { uid, seq: uid, flags, subject: `Message ${uid}`, from: [], to: [], cc: [], replyTo: [], size: 100, hasAttachment: false, messageId: `<m${uid}@example.test>` };
}

/** A row; `null` for a row that does not know its folder's UIDVALIDITY (a conversation's message). */
function row(accountId: string, path: string, uid: number, uidValidity: string | null = '7', flags: string[] = []): MessageRow {
  return { accountId, path, uidValidity: uidValidity ?? undefined, summary: summary(uid, flags) };
}

describe('groupMessages (rows of both views)', () => {
  it('groups hits from two folders of two accounts into one set per account and folder, in the order selected', () => {
    const sets = groupMessages([
      row('work', 'INBOX', 12),
      row('home', 'INBOX', 3),
      row('work', 'Archive', 40, '9', ['\\Flagged']),
      row('work', 'INBOX', 15),
      row('home', 'Lists/dev', 8, null),
    ], (id) => ACCOUNTS.get(id));
    assert.deepEqual(sets.map((s) => [s.account.id, s.path, s.uidValidity, s.messages.map((m) => m.uid)]), [
      ['work', 'INBOX', '7', [12, 15]],
      ['home', 'INBOX', '7', [3]],
      ['work', 'Archive', '9', [40]],
      ['home', 'Lists/dev', undefined, [8]],
    ]);
    // the same folder name in two accounts stays two sets: two connections, two commands
    assert.equal(sets.filter((s) => s.path === 'INBOX').length, 2);
    // what the rows knew travels with them (flags decide toggles, Message-IDs find moved mail)
    assert.deepEqual(sets[2].messages[0].flags, ['\\Flagged']);
    assert.equal(sets[0].messages[1].messageId, '<m15@example.test>');
  });

  it('takes a message selected twice (under a result and under a conversation) once', () => {
    const sets = groupMessages([row('work', 'INBOX', 12), row('work', 'INBOX', 12, null), row('work', 'INBOX', 13)], (id) => ACCOUNTS.get(id));
    assert.equal(sets.length, 1);
    assert.deepEqual(sets[0].messages.map((m) => m.uid), [12, 13]);
    assert.equal(sets[0].uidValidity, '7');
  });

  it('learns the UIDVALIDITY from a later row when the first did not know it (a conversation row)', () => {
    const sets = groupMessages([row('work', 'Sent', 2, null), row('work', 'Sent', 5, '11')], (id) => ACCOUNTS.get(id));
    assert.equal(sets[0].uidValidity, '11');
  });

  it('leaves out rows of an account that was removed', () => {
    const sets = groupMessages([row('gone', 'INBOX', 1), row('home', 'INBOX', 2)], (id) => ACCOUNTS.get(id));
    assert.deepEqual(sets.map((s) => s.account.id), ['home']);
    assert.deepEqual(groupMessages([], (id) => ACCOUNTS.get(id)), []);
  });
});
