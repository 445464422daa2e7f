// Client-side threading (JWZ without subject grouping), the THREAD response reader, and the
// grouping of a server's threads, on messages written for each case.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type MessageSummary } from '../../src/core/mail/headers';
import { group, participants, type ThreadedMessage, unreadCount } from '../../src/core/threads/conversations';
import { ancestorsOf, keysOf, MAX_REFERENCES, parseMessageIds, type ThreadInput, type ThreadNode, threadMessages } from '../../src/core/threads/jwz';
import { parseThreadResponse, threadMethod } from '../../src/core/threads/serverThread';
import { assertLinear } from '../support/growth';

function shape(node: ThreadNode): string {
  const inner = node.children.map(shape).join(' ');
  const self = node.key ?? '_';
  return node.children.length ? `(${self} ${inner})` : self;
}

function threads(messages: ThreadInput[]): string[] {
  return threadMessages(messages).map(shape).sort();
}

const atom = (value: string) => ({ type: 'ATOM', value });

function message(uid: number, subject: string, headers: { id?: string; irt?: string; refs?: string[] }, options: { seen?: boolean; day?: number; path?: string; from?: string } = {}): ThreadedMessage {
  const summary: MessageSummary = {
    uid, seq: uid, flags: options.seen ? ['\\Seen'] : [], subject, from: [{ name: options.from ?? '', address: `${(options.from ?? 'x').toLowerCase()}@t.test` }], to: [], cc: [], replyTo: [],
    internalDate: new Date(Date.UTC(2026, 0, options.day ?? uid)), size: 1, hasAttachment: false,
    ...(headers.id ? { messageId: headers.id } : {}), ...(headers.irt ? { inReplyTo: headers.irt } : {}),
  };
  return { path: options.path ?? 'INBOX', message: summary, references: headers.refs ?? [] };
}

describe('JWZ threading', () => {
  it('reads Message-IDs from References and In-Reply-To in linear time', async () => {
    assert.deepEqual(parseMessageIds('<a@x>\r\n <b@y>  <c@z>'), ['<a@x>', '<b@y>', '<c@z>']);
    assert.deepEqual(parseMessageIds('"Dana" <dana@x> wrote <not an id> <d@x>'), ['<dana@x>', '<d@x>']);
    assert.deepEqual(parseMessageIds('<<a@x>'), ['<a@x>']);
    assert.deepEqual(parseMessageIds('<a <b <c@x> <d@y>'), ['<c@x>', '<d@y>']);
    assert.deepEqual(parseMessageIds(undefined), []);
    assert.deepEqual(parseMessageIds('<'.repeat(200_000) + 'a@b>'), ['<a@b>']);
    // a run of "<" before one id: each "<" once, not a scan to the ">" for each of them
    await assertLinear('n "<" before an id', (n) => '<'.repeat(n) + 'a@b>', (header) => parseMessageIds(header), 20_000);
    await assertLinear('n ids', (n) => Array.from({ length: n }, (_, i) => `<r${i}@x>`).join(' '), (header) => parseMessageIds(header, Infinity), 2_000);
    const many = Array.from({ length: 10_000 }, (_, i) => `<r${i}@x>`);
    const kept = ancestorsOf({ references: many });
    assert.equal(kept.length, MAX_REFERENCES);
    assert.equal(kept[0], '<r0@x>');
    assert.equal(kept[kept.length - 1], '<r9999@x>');
  });

  it('threads a chain, replies to a missing parent, and a broken References chain', () => {
    assert.deepEqual(threads([
      { key: 'A', messageId: '<a@x>' },
      { key: 'B', messageId: '<b@x>', inReplyTo: '<a@x>', references: ['<a@x>'] },
      { key: 'C', messageId: '<c@x>', references: ['<a@x>', '<b@x>'] },
    ]), ['(A (B C))']);
    // two replies to a message that is not here: held together by a dummy parent
    assert.deepEqual(threads([
      { key: 'B', messageId: '<b@x>', references: ['<gone@x>'] },
      { key: 'C', messageId: '<c@x>', references: ['<gone@x>'] },
    ]), ['(_ B C)']);
    // In-Reply-To only (no References), and References that skip a generation
    assert.deepEqual(threads([
      { key: 'X1', messageId: '<x1@x>' },
      { key: 'X2', messageId: '<x2@x>', inReplyTo: 'Dana\'s message <x1@x>' },
      { key: 'X3', messageId: '<x3@x>', references: ['<x1@x>'] },
      { key: 'X4', messageId: '<x4@x>', references: ['<x1@x>', '<x3@x>'] },
    ]), ['(X1 X2 (X3 X4))']);
  });

  it('never threads by subject, and survives loops, self-references and repeated ids', () => {
    assert.deepEqual(threads([
      { key: 'I1', messageId: '<i1@x>' },
      { key: 'I2', messageId: '<i2@x>' },
    ]), ['I1', 'I2']);
    assert.deepEqual(threads([
      { key: 'A', messageId: '<a@x>', references: ['<b@x>'] },
      { key: 'B', messageId: '<b@x>', references: ['<a@x>'] },
    ]).length, 1);
    assert.deepEqual(threads([{ key: 'S', messageId: '<s@x>', references: ['<s@x>'], inReplyTo: '<s@x>' }]), ['S']);
    assert.deepEqual(threads([
      { key: 'D1', messageId: '<d@x>' },
      { key: 'D2', messageId: '<d@x>' },
      { key: 'R', messageId: '<r@x>', references: ['<d@x>'] },
    ]), ['(D1 R)', 'D2']);
    assert.deepEqual(threads([{ key: 'N1' }, { key: 'N2' }]), ['N1', 'N2']);
  });

  // Cost is bounded by construction (at most MAX_REFERENCES links per message, each loop check at
  // most MAX_DEPTH steps) and measured by `npm run bench` (search scenario); a CPU-time growth
  // check does not fit here because the depth of these chains grows with n up to MAX_DEPTH.
  it('threads 20,000 messages with hostile reference chains, each message once', () => {
    const input: ThreadInput[] = [];
    for (let i = 0; i < 20_000; i++) {
      input.push({ key: String(i), messageId: `<m${i}@x>`, references: Array.from({ length: 30 }, (_, j) => `<m${(i * 7 + j * 13) % 20_000}@x>`) });
    }
    const roots = threadMessages(input);
    const keys = roots.flatMap(keysOf);
    assert.equal(keys.length, 20_000);
    assert.equal(new Set(keys).size, 20_000, 'no message twice, none lost');
  });
});

describe('server threads', () => {
  it('reads THREAD responses (RFC 5256 examples)', () => {
    // (2)(3 6 (4 23)(44 7 96))
    const response = [[atom('2')], [atom('3'), atom('6'), [atom('4'), atom('23')], [atom('44'), atom('7'), atom('96')]]];
    assert.deepEqual(parseThreadResponse(response).map(shape), ['2', '(3 (6 (4 23) (44 (7 96))))']);
    // ((3)(5)): two messages whose parent is missing
    assert.deepEqual(parseThreadResponse([[[atom('3')], [atom('5')]]]).map(shape), ['(_ 3 5)']);
    assert.deepEqual(parseThreadResponse(undefined), []);
  });

  it('picks REFS, then REFERENCES, then the client', () => {
    assert.equal(threadMethod(new Set(['THREAD=REFS', 'THREAD=REFERENCES'])), 'REFS');
    assert.equal(threadMethod(new Set(['THREAD=REFERENCES', 'THREAD=ORDEREDSUBJECT'])), 'REFERENCES');
    assert.equal(threadMethod(new Set(['THREAD=ORDEREDSUBJECT'])), 'client');
  });

  it('splits what a server merged by subject and joins Sent replies by their ids', () => {
    const a = message(1, 'Invoice 117', { id: '<a@x>' }, { seen: true, from: 'Dana' });
    const b = message(2, 'Re: Invoice 117', { id: '<b@x>' }, { from: 'Marco' });
    const c = message(3, 'Crash', { id: '<c@x>' }, { from: 'Dana' });
    const d = message(5, 'Re: Crash', { id: '<d@x>', refs: ['<c@x>', '<s@x>'] }, { from: 'Dana' });
    const sent = message(1, 'Re: Crash', { id: '<s@x>', irt: '<c@x>', refs: ['<c@x>'] }, { path: 'Sent', seen: true, day: 4, from: 'Alice' });
    // the server (REFERENCES step 5) put a and b together by their subject
    const conversations = group([a, b, c, d, sent], [['INBOX\u00001', 'INBOX\u00002'], ['INBOX\u00003', 'INBOX\u00005']]);
    assert.deepEqual(conversations.map((conv) => conv.messages.map((m) => `${m.path}:${m.message.uid}`)), [['INBOX:3', 'Sent:1', 'INBOX:5'], ['INBOX:2'], ['INBOX:1']]);
    assert.equal(conversations[0].id, '<c@x>');
    assert.equal(unreadCount(conversations[0]), 2);
    assert.deepEqual(participants(conversations[0]), ['Dana', 'Alice']);
    // the same messages without a server: the same conversations
    assert.deepEqual(group([a, b, c, d, sent]).map((conv) => conv.messages.length), [3, 1, 1]);
  });
});
