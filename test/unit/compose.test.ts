import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { dedupe, formatAddressList, formatMailbox, parseAddressList } from '../../src/core/compose/addresses';
import { buildMessage, newMessageId } from '../../src/core/compose/build';
import { bodyLine, parseDraft, renderDraft } from '../../src/core/compose/draft';
import { attribution, forwardedBlock, forwardSubject, quote, replyRecipients, replySubject, threadHeaders } from '../../src/core/compose/reply';

const ME = ['alice@example.test', 'Alice.Alias@Example.test'];

describe('reply arithmetic', () => {
  it('adds exactly one "Re: " whatever the original had', () => {
    assert.equal(replySubject('Crash on start'), 'Re: Crash on start');
    assert.equal(replySubject('Re: Crash on start'), 'Re: Crash on start');
    assert.equal(replySubject('RE: re: Re[2]: Crash'), 'Re: Crash');
    assert.equal(replySubject('AW: Sv: Antw: Fehler'), 'Re: Fehler');
    assert.equal(replySubject('=?UTF-8?Q?Re:_Caf=C3=A9?='), 'Re: Café');
    assert.equal(replySubject('Reply needed'), 'Re: Reply needed');
    assert.equal(replySubject(undefined), 'Re:');
    assert.equal(forwardSubject('Fwd: FW: report'), 'Fwd: report');
  });

  it('replies to Reply-To when there is one, else From', () => {
    const original = { from: [{ name: 'Dana', address: 'dana@x.test' }], replyTo: [{ name: 'Bugs List', address: 'bugs@lists.test' }], to: [{ address: 'alice@example.test' }], text: '' };
    assert.deepEqual(replyRecipients(original, ME, false), { to: [{ name: 'Bugs List', address: 'bugs@lists.test' }], cc: [] });
    assert.deepEqual(replyRecipients({ ...original, replyTo: [] }, ME, false).to, [{ name: 'Dana', address: 'dana@x.test' }]);
  });

  it('reply all: the other recipients, without my addresses, without duplicates, case-insensitive', () => {
    const original = {
      from: [{ name: '"Doe, Jane"', address: 'Jane@X.test' }],
      to: [{ name: 'Alice', address: 'ALICE@example.test' }, { name: 'Bob', address: 'bob@y.test' }, { name: 'Jane again', address: 'jane@x.test' }],
      cc: [{ name: '', address: 'alice.alias@example.test' }, { name: 'Carol', address: 'carol@z.test' }, { name: 'BOB', address: 'Bob@Y.test' }],
      text: '',
    };
    const { to, cc } = replyRecipients(original, ME, true);
    assert.deepEqual(to.map((m) => m.address), ['Jane@X.test']);
    assert.deepEqual(cc.map((m) => m.address), ['bob@y.test', 'carol@z.test']);
  });

  it('reply all to a list keeps the list in To and the author in Cc', () => {
    const original = { from: [{ name: 'Dana', address: 'dana@x.test' }], replyTo: [{ address: 'bugs@lists.test' }], to: [{ address: 'bugs@lists.test' }], cc: [{ address: 'alice@example.test' }], text: '' };
    const { to, cc } = replyRecipients(original, ME, true);
    assert.deepEqual(to.map((m) => m.address), ['bugs@lists.test']);
    assert.deepEqual(cc.map((m) => m.address), []);
  });

  it('replying to my own sent message goes to its recipients', () => {
    const original = { from: [{ address: 'alice@example.test' }], to: [{ name: 'Dana', address: 'dana@x.test' }], text: '' };
    assert.deepEqual(replyRecipients(original, ME, false).to.map((m) => m.address), ['dana@x.test']);
  });

  it('sets In-Reply-To and References as RFC 5322 3.6.4 says', () => {
    assert.deepEqual(threadHeaders({ messageId: '<c@x>', references: '<a@x> <b@x>' }), { inReplyTo: '<c@x>', references: '<a@x> <b@x> <c@x>' });
    assert.deepEqual(threadHeaders({ messageId: '<b@x>', inReplyTo: '<a@x>' }), { inReplyTo: '<b@x>', references: '<a@x> <b@x>' });
    assert.deepEqual(threadHeaders({ messageId: '<b@x>', inReplyTo: '<a@x> <z@x>' }), { inReplyTo: '<b@x>', references: '<b@x>' });
    assert.deepEqual(threadHeaders({ messageId: 'bare@x' }), { inReplyTo: '<bare@x>', references: '<bare@x>' });
    assert.deepEqual(threadHeaders({}), {});
  });

  it('quotes below an attribution line', () => {
    assert.equal(attribution({ from: [{ name: 'Dana Reporter', address: 'd@x.test' }], date: new Date(2026, 10, 20, 9, 0) }), 'On Fri, 20 Nov 2026 09:00, Dana Reporter wrote:');
    assert.equal(quote('line one\n\n> older\nlast\n\n'), '> line one\n>\n>> older\n> last');
    const block = forwardedBlock({ from: [{ name: 'Dana', address: 'd@x.test' }], to: [{ address: 'a@b.test' }], subject: 'Hi', text: 'body' });
    assert.match(block, /^---------- Forwarded message ----------\nFrom: Dana <d@x\.test>\nSubject: Hi\nTo: a@b\.test\n\nbody\n$/);
  });
});

describe('addresses', () => {
  it('parses and formats names with commas, quotes and encoded words', () => {
    const list = parseAddressList('"Doe, Jane" <jane@x.test>, =?UTF-8?Q?Zo=C3=AB?= <zoe@y.test>, bob@z.test, "Say \\"hi\\"" <hi@w.test>, not an address');
    assert.deepEqual(list.map((m) => m.name), ['Doe, Jane', 'Zoë', '', 'Say "hi"']);
    assert.equal(formatMailbox(list[0]), '"Doe, Jane" <jane@x.test>');
    assert.equal(formatMailbox(list[3]), '"Say \\"hi\\"" <hi@w.test>');
    assert.equal(formatAddressList(list.slice(1, 3)), 'Zoë <zoe@y.test>, bob@z.test');
    assert.deepEqual(dedupe([{ name: 'a', address: 'A@x' }, { name: 'b', address: 'a@X' }]).length, 1);
  });
});

describe('draft documents', () => {
  it('round-trips headers and body, attachments and folded lines', () => {
    const text = renderDraft({ from: 'Alice <alice@example.test>', to: 'dana@x.test', cc: '', bcc: '', subject: 'Re: hi', attach: ['/tmp/a.log'] }, 'Hello\n\n> quoted\n');
    const parsed = parseDraft(text);
    assert.deepEqual(parsed.headers, { from: 'Alice <alice@example.test>', to: 'dana@x.test', cc: '', bcc: '', subject: 'Re: hi', attach: ['/tmp/a.log'] });
    assert.equal(parsed.body, 'Hello\n\n> quoted\n');
    assert.equal(bodyLine(text), 7);
    const folded = parseDraft('To: a@x.test,\n  b@y.test\nX-Odd: 1\nSubject: s\n\nbody');
    assert.equal(folded.headers.to, 'a@x.test, b@y.test');
    assert.deepEqual(folded.unknown, ['X-Odd: 1']);
  });
});

describe('building the message', () => {
  it('sends text/plain plus an HTML alternative, encodes non-ASCII headers, keeps Bcc only in the Sent copy', async () => {
    const built = await buildMessage({
      headers: { from: 'Zoë Ünïcödé <zoe@example.test>', to: '"Doe, Jane" <jane@x.test>', cc: 'bob@y.test', bcc: 'secret@z.test', subject: 'Café: crème brûlée 🚀', attach: [] },
      body: 'Hi **Jane**,\n\nsee https://example.com\n\n<script>alert(1)</script>\n',
      messageId: newMessageId('zoe@example.test', 'abc123'),
      inReplyTo: '<p@x>',
      references: '<a@x> <p@x>',
      html: true,
      attachments: [{ filename: 'trace.log', content: 'trace' }],
    });
    const head = built.raw.toString('utf8').split('\r\n\r\n')[0];
    assert.match(head, /^From: =\?UTF-8\?[BQ]\?/m);
    assert.match(head, /^Subject: =\?UTF-8\?[BQ]\?/m);
    assert.match(head, /^To: "Doe, Jane" <jane@x\.test>$/m);
    assert.match(head, /^Message-ID: <abc123@example\.test>$/m);
    assert.match(head, /^In-Reply-To: <p@x>$/m);
    assert.match(head, /^References: <a@x> <p@x>$/m);
    assert.doesNotMatch(built.raw.toString(), /^Bcc:/m);
    assert.match(built.rawForSent.toString(), /^Bcc: secret@z\.test$/m);
    assert.deepEqual(built.recipients, ['jane@x.test', 'bob@y.test', 'secret@z.test']);
    const parsed = await simpleParser(built.raw);
    assert.equal(parsed.subject, 'Café: crème brûlée 🚀');
    assert.equal(parsed.from?.value[0].name, 'Zoë Ünïcödé');
    assert.match(parsed.text ?? '', /Hi \*\*Jane\*\*/);
    assert.match(String(parsed.html), /<strong>Jane<\/strong>/);
    assert.match(String(parsed.html), /<a href="https:\/\/example\.com">/);
    assert.doesNotMatch(String(parsed.html), /<script>/, 'raw HTML in the draft is escaped');
    assert.equal(parsed.attachments[0].filename, 'trace.log');
  });

  it('refuses a message without recipients or with two From addresses', async () => {
    const base = { body: 'x', messageId: '<m@x>', html: false, attachments: [] };
    await assert.rejects(buildMessage({ ...base, headers: { from: 'a@x.test', to: '', cc: '', bcc: '', subject: 's', attach: [] } }), /at least one recipient/);
    await assert.rejects(buildMessage({ ...base, headers: { from: 'a@x.test, b@x.test', to: 'c@x.test', cc: '', bcc: '', subject: 's', attach: [] } }), /From line must hold exactly one address/);
  });
});
