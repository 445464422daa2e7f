// Quick filters: what they compile to (one IMAP SEARCH of the folder, every filter ANDed), how
// they toggle, and how the folder row names them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filterNames, filterQuery, type QuickFilter, toggleFilter } from '../../src/core/mail/quickFilter';
import { compileQuery, renderKey } from '../../src/core/search/compile';

const CAPS = new Set(['IMAP4REV1', 'ESEARCH']);
const conversation = { uids: [4, 9, 12], ids: ['<r3@t>', '<r1@t>'], subject: 'Re: Login crash' };

function imap(filters: QuickFilter[]): string {
  const compiled = compileQuery(filterQuery(filters), { capabilities: CAPS });
  assert.ok(compiled.exact);
  return renderKey(compiled.key);
}

describe('quick filters', () => {
  it('compile to one search of the folder, every filter ANDed', () => {
    assert.equal(imap([{ kind: 'unread' }]), 'UNSEEN');
    assert.equal(imap([{ kind: 'flagged' }, { kind: 'unread' }]), 'UNSEEN FLAGGED');
    assert.equal(imap([{ kind: 'from', address: 'dana@reporter.test' }]), 'FROM "dana@reporter.test"');
    assert.equal(filterQuery([{ kind: 'unread' }]).scope.type, 'here');
    // This conversation: its messages, or a later message that is or names one of its ids
    assert.equal(imap([{ kind: 'conversation', conversation }]),
      'OR UID 4,9,12 (UID 13:* OR HEADER "Message-ID" "<r3@t>" OR HEADER "References" "<r3@t>" OR HEADER "In-Reply-To" "<r3@t>" OR HEADER "Message-ID" "<r1@t>" OR HEADER "References" "<r1@t>" HEADER "In-Reply-To" "<r1@t>")');
    assert.throws(() => filterQuery([]));
  });

  it('toggle: on, off, another sender replaces the sender', () => {
    let filters = toggleFilter([], { kind: 'unread' });
    filters = toggleFilter(filters, { kind: 'from', address: 'dana@reporter.test' });
    assert.deepEqual(filterNames(filters), ['Unread', 'From dana@reporter.test']);
    filters = toggleFilter(filters, { kind: 'from', address: 'lea@dev.test' });
    assert.deepEqual(filterNames(filters), ['Unread', 'From lea@dev.test']);
    filters = toggleFilter(filters, { kind: 'from', address: 'LEA@dev.test' });
    assert.deepEqual(filterNames(filters), ['Unread']);
    filters = toggleFilter(toggleFilter(filters, { kind: 'conversation', conversation }), { kind: 'flagged' });
    assert.deepEqual(filterNames(filters), ['Unread', 'Flagged', 'This conversation']);
    assert.deepEqual(filterNames(toggleFilter(filters, { kind: 'unread' })), ['Flagged', 'This conversation']);
  });
});
