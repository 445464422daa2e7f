import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { dedupe, formatAddressList, formatMailbox, parseAddressList } from '../../src/core/compose/addresses';
import MailComposer from 'nodemailer/lib/mail-composer';
import { appendMessage } from '../../src/core/compose/append';
import { buildMessage as buildUnchecked, type BuildInput, newMessageId } from '../../src/core/compose/build';
import { checkCanonical, requireCanonical, toCrlf } from '../../src/core/compose/canonical';
import { sendRaw } from '../../src/core/compose/smtp';
import { MailError } from '../../src/core/errors';
import { nullLogger } from '../../src/core/log';
import { type MailSession } from '../../src/core/mail/session';
import { bodyLine, parseDraft, renderDraft } from '../../src/core/compose/draft';
import { attribution, forwardedBlock, forwardSubject, quote, replyRecipients, replySubject, threadHeaders } from '../../src/core/compose/reply';

const ME = ['alice@example.test', 'Alice.Alias@Example.test'];

let built = 0;
/** Every message this file builds is checked as the APPEND / SMTP gate checks it. */
async function buildMessage(input: BuildInput) {
  const message = await buildUnchecked(input);
  for (const raw of [message.raw, message.rawForSent]) {
    assert.deepEqual((await checkCanonical(raw)).problems, [], raw.toString('latin1').slice(0, 2000));
  }
  built++;
  return message;
}

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

const HEADERS = { from: 'Alice <alice@example.test>', to: 'dana@x.test', cc: '', bcc: '', subject: 'Re: crash', attach: [] };

describe('canonical messages (RFC 5322 line ends and length, RFC 2045 encodings)', () => {
  it('builds CRLF, short lines and declared encodings from LF text, long lines, 8-bit text and odd bytes', async () => {
    const bodies = [
      'line one\nline two\n\n> quoted\n',
      `${'x'.repeat(5000)}\n${'word '.repeat(400)}\n`,
      'Grüße aus Köln: crème brûlée, 日本語, emoji 🚀\n',
      'lone\rcarriage return and a NUL \u0000 byte\n',
      '',
      '.\n.. leading dots\nFrom the start of a line\n',
    ];
    for (const body of bodies) {
      for (const html of [true, false]) {
        const message = await buildMessage({ headers: HEADERS, body, messageId: '<c@x.test>', html, attachments: [] });
        assert.doesNotMatch(message.raw.toString('latin1'), /(?<!\r)\n/, 'no bare LF');
        const parsed = await simpleParser(message.raw);
        assert.equal((parsed.text ?? '').replace(/\r\n/g, '\n').trim(), body.replace(/\r/g, '\n').trim());
      }
    }
  });

  it('attaches files with LF text, long lines and binary bytes as base64', async () => {
    const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256));
    const message = await buildMessage({ headers: HEADERS, body: 'logs', messageId: '<a@x.test>', html: true, attachments: [
      { filename: 'server.log', content: `${'E'.repeat(3000)}\nnext\n` },
      { filename: 'core.bin', content: binary, contentType: 'application/octet-stream' },
      { filename: 'notes-ü.txt', content: 'ä\nö\n', contentType: 'text/plain; charset=utf-8' },
    ] });
    const parsed = await simpleParser(message.raw);
    assert.deepEqual(parsed.attachments.map((a) => a.content.length), [3006, 4096, 6]);
    assert.ok(parsed.attachments[1].content.equals(binary));
  });

  it('forwards an 8-bit original with LF line ends as message/rfc822, 8bit, CRLF', async () => {
    const original = Buffer.from('From: Zoë <zoe@x.test>\nSubject: Grüße\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGrüße aus Köln\n', 'utf8');
    const message = await buildMessage({ headers: HEADERS, body: 'FYI', messageId: '<f@x.test>', html: false, attachments: [{ filename: 'original.eml', content: original, contentType: 'message/rfc822' }] });
    const text = message.raw.toString('latin1');
    assert.match(text, /Content-Type: message\/rfc822; name=original\.eml\r\nContent-Transfer-Encoding: 8bit\r\nContent-Disposition: attachment; filename=original\.eml/);
    const report = await checkCanonical(message.raw);
    assert.equal(report.eightBit, true, 'SMTP will ask for BODY=8BITMIME');
    assert.ok(message.raw.includes(toCrlf(original)), 'the original is inside, byte for byte but for its line ends');
  });

  it('forwards a 7-bit original as 7bit, and one with an overlong line as an .eml file in base64', async () => {
    const ascii = Buffer.from('From: a@x.test\r\nSubject: hi\r\n\r\nhello\r\n');
    const seven = await buildMessage({ headers: HEADERS, body: 'FYI', messageId: '<f7@x.test>', html: false, attachments: [{ filename: 'original.eml', content: ascii, contentType: 'message/rfc822' }] });
    assert.match(seven.raw.toString(), /Content-Type: message\/rfc822; name=original\.eml\r\nContent-Transfer-Encoding: 7bit/);
    const wide = Buffer.from(`From: a@x.test\r\nSubject: wide\r\nContent-Type: text/html\r\n\r\n<p>${'w'.repeat(1500)}</p>\r\n`);
    const message = await buildMessage({ headers: HEADERS, body: 'FYI', messageId: '<fw@x.test>', html: false, attachments: [{ filename: 'wide.eml', content: wide, contentType: 'message/rfc822' }] });
    assert.match(message.raw.toString(), /Content-Type: application\/octet-stream; name=wide\.eml\r\nContent-Transfer-Encoding: base64/);
    const parsed = await simpleParser(message.raw);
    assert.ok(parsed.attachments[0].content.equals(wide));
  });

  it('names what is wrong with a message that is not canonical', async () => {
    const problems = async (raw: string | Buffer) => (await checkCanonical(Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'latin1'))).problems;
    assert.deepEqual(await problems('Subject: x\r\n\r\nbody\r\n'), []);
    assert.deepEqual(await problems('Subject: x\n\nbody\n'), ['line 1 ends in a bare LF instead of CRLF', 'line 2 ends in a bare LF instead of CRLF', 'line 3 ends in a bare LF instead of CRLF']);
    assert.deepEqual(await problems('Subject: x\r\n\r\na\rb\r\n'), ['line 3 has a bare CR']);
    assert.deepEqual(await problems(`Subject: x\r\n\r\n${'y'.repeat(999)}\r\n`), ['line 3 is 999 octets long (at most 998)']);
    assert.deepEqual(await problems(`Subject: x\r\n\r\n${'y'.repeat(998)}\r\n`), []);
    assert.deepEqual(await problems('Subject: x\r\n\r\na\u0000b\r\n'), ['line 3 holds a NUL byte']);
    assert.deepEqual(await problems(Buffer.from('Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGrüße\r\n', 'utf8')), ['the message (text/plain) has 8-bit bytes but is declared 7bit']);
    assert.deepEqual(await problems(Buffer.from('Subject: Grüße\r\n\r\nx\r\n', 'utf8')), ['the header of the message (text/plain) has 8-bit bytes']);
    assert.deepEqual(await problems(Buffer.from('Subject: x\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\n', 'utf8')), []);
    assert.deepEqual(await problems('Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\nContent-Transfer-Encoding: base64\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n'), ['the message (multipart/mixed) may not be encoded as base64 (RFC 2045 6.4)']);
    assert.deepEqual(await problems('Subject: x\r\nContent-Transfer-Encoding: binary\r\n\r\nx\r\n'), ['the message (text/plain) is declared binary']);
    // what nodemailer produced before: text bodies kept their LF
    const lf = await new MailComposer({ from: 'a@x.test', to: 'b@x.test', subject: 's', text: 'one\ntwo\n' }).compile().build();
    assert.ok((await problems(lf)).some((p) => /bare LF/.test(p)));
  });

  it('refuses a message that is not canonical before any APPEND or SMTP connection', async () => {
    const bad = Buffer.from('Subject: x\n\nbody\n');
    await assert.rejects(requireCanonical(bad, 'sent'), (err: MailError) => err.code === 'INVALID_INPUT' && /^The message was not sent: it is not a valid Internet message \(line 1 ends in a bare LF/.test(err.message));
    const session = { account: { imap: { host: 'h', port: 1 } }, run: () => assert.fail('APPEND must not be tried') } as unknown as MailSession;
    await assert.rejects(appendMessage(session, 'Drafts', bad, ['\\Draft'], 'saved in Drafts'), (err: MailError) => err.code === 'INVALID_INPUT' && /not saved in Drafts/.test(err.message));
    // port 9 (discard) on loopback is closed: a connection attempt would fail with CONNECTION_REFUSED
    await assert.rejects(sendRaw({ host: '127.0.0.1', port: 9, security: 'none', user: '', pass: '' }, { from: 'a@x.test', to: ['b@x.test'] }, bad, nullLogger), (err: MailError) => err.code === 'INVALID_INPUT');
  });

  it('checked every message this file built', () => {
    assert.ok(built >= 17, String(built));
  });
});
