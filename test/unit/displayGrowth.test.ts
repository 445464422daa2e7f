// "Sender input costs linear time" (issue 15), for every step of the display path a sender's bytes
// go through before the renderer: header fields and encoded words, address lists of thousands,
// the structure splitter, transfer decoding (quoted-printable, base64), charset detection, the
// planner over IMAP structures, invitations, deeply nested attached messages and the whole .eml
// open. Each case is measured at 1x, 2x and 4x its size as a ratio of CPU times in this process
// (test/support/growth.ts): linear work costs about 4x, quadratic 16x. Never a wall-clock number.
// Each size stays under the limit that cuts the input (a field of 64 KB, 2,000 parts, 512 KB of
// invitation), so what is measured is the work, not the cut.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type MessageStructureObject } from 'imapflow';
import { parseSource } from '../../src/core/mail/messageLoader';
import { readCalendar } from '../../src/core/render/calendar';
import { decodeBody, decodeEncodedWords, HeaderDecoder } from '../../src/core/render/charset';
import { addressListOf, readHeaderFields } from '../../src/core/render/headerFields';
import { hasAttachments, planDisplay } from '../../src/core/render/mime';
import { decodeTransfer, parseStructure } from '../../src/core/render/structure';
import { blockedModel } from '../support/render';
import { assertLinear } from '../support/growth';

const crlf = (text: string) => Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1');
const HEAD = 'From: Mallory <mallory@hostile.test>\nSubject: growth\nDate: Tue, 1 Jul 2025 10:00:00 +0000\n';
const view = async (raw: Buffer) => blockedModel(await parseSource(raw), 'file');
const addresses = (n: number) => Array.from({ length: n }, (_, i) => `=?utf-8?q?=C3=A9?=<u${i}@x.t>`).join(',');

describe('growth of header decoding with the size of the header', () => {
  it('reads a header block of n fields, or one field folded over n lines, in linear time', async () => {
    await assertLinear('n header fields', (n) => crlf(`${HEAD}${'X-Filler: some value\n'.repeat(n)}\n`), (raw) => readHeaderFields(raw), 1_000);
    await assertLinear('To folded over n lines', (n) => crlf(`${HEAD}To: ${'a@b.test,\n '.repeat(n)}c@d.test\n\n`), (raw) => readHeaderFields(raw), 1_000);
  });

  it('decodes n encoded words (adjacent, spaced, unclosed, in an unknown charset) in linear time', async () => {
    await assertLinear('n adjacent words', (n) => '=?utf-8?B?w6k=?='.repeat(n), (s) => decodeEncodedWords(s), 500);
    await assertLinear('n spaced words', (n) => '=?utf-8?q?caf=C3=A9?= '.repeat(n), (s) => decodeEncodedWords(s), 500);
    await assertLinear('n unclosed words', (n) => '=?utf-8?q?x'.repeat(n), (s) => decodeEncodedWords(s), 500);
    await assertLinear('one word of n bytes', (n) => `=?utf-8?q?${'=C3=A9'.repeat(n)}?=`, (s) => decodeEncodedWords(s), 500);
    await assertLinear('n words in an unknown charset', (n) => '=?x-unknown?B?6eno?= '.repeat(n), (s) => decodeEncodedWords(s, new HeaderDecoder()), 500);
  });

  it('reads address lists of thousands of entries in linear time, and all of them', async () => {
    // 4x 500 = 2,000 addresses, about 60 KB: under the 64 KB an address field is read to
    await assertLinear('n addresses', (n) => Buffer.from(addresses(n)), (raw) => addressListOf(raw), 500);
    await assertLinear('n nested groups', (n) => Buffer.from(`${'g:'.repeat(n)}a@b.test${';'.repeat(n)}`), (raw) => addressListOf(raw), 2_000);
    await assertLinear('n open comments', (n) => Buffer.from(`${'('.repeat(n)}x a@b.test`), (raw) => addressListOf(raw), 2_000);
    await assertLinear('n open angle brackets', (n) => Buffer.from(`${'<'.repeat(n)}a@b.test`), (raw) => addressListOf(raw), 2_000);
    const list = addressListOf(Buffer.from(addresses(2_000)));
    assert.equal(list.length, 2_000);
    assert.deepEqual(list[1_999], { name: 'é', address: 'u1999@x.t' });
  });

  // The field is read to 64 KB; the cut fell inside an entry, and "user2897@exampl" was listed
  // (and offered to Reply All) as an address.
  it('does not list the entry a cut address field ends in', () => {
    const list = addressListOf(Buffer.from(Array.from({ length: 3_000 }, (_, i) => `user${i}@example.test`).join(', ')));
    assert.ok(list.length > 2_000, `${list.length}`);
    for (const [i, a] of list.entries()) {
      assert.equal(a.address, `user${i}@example.test`);
    }
  });

  // The view lists 200 addresses a field and said nothing of the rest: a message to 2,000 people
  // looked like one to 200.
  it('shows an .eml addressed to thousands in linear time, and says how many are not listed', async () => {
    await assertLinear('.eml with n recipients', (n) => crlf(`${HEAD}To: ${addresses(n)}\n\nbody\n`), view, 250);
    const model = await view(crlf(`${HEAD}To: ${addresses(2_000)}\nCc: ${addresses(3)}\n\nbody\n`));
    assert.equal(model.to.length, 200);
    assert.deepEqual(model.more, { from: 0, to: 1_800, cc: 0, replyTo: 0 });
  });
});

describe('growth of the structure splitter and transfer decoding', () => {
  it('splits n parts, n part header fields and n boundary-like lines in linear time', async () => {
    const parts = (n: number) => crlf(`${HEAD}Content-Type: multipart/mixed; boundary="x"\n\n${'--x\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="a.pdf"\n\nJVBERi0=\n'.repeat(n)}--x--\n`);
    await assertLinear('n parts', parts, (raw) => parseStructure(raw), 200);
    await assertLinear('a part header of n fields', (n) => crlf(`${HEAD}Content-Type: multipart/mixed; boundary="x"\n\n--x\n${'X-Filler: value\n'.repeat(n)}\nbody\n--x--\n`), (raw) => parseStructure(raw), 2_000);
    await assertLinear('n lines that start like a boundary', (n) => crlf(`${HEAD}Content-Type: multipart/mixed; boundary="xyz"\n\n--xyz\n\n${'--xy\n--\n--xyzz'.repeat(n)}\n--xyz--\n`), (raw) => parseStructure(raw), 2_000);
    await assertLinear('a Content-Type of n parameters', (n) => crlf(`${HEAD}Content-Type: text/plain;${' p=v;'.repeat(n)} charset=utf-8\n\nbody\n`), (raw) => parseStructure(raw), 2_000);
    await assertLinear('a file name in n RFC 2231 sections', (n) => crlf(`${HEAD}Content-Type: multipart/mixed; boundary="x"\n\n--x\nContent-Type: application/pdf\nContent-Disposition: attachment;${Array.from({ length: n }, (_, i) => ` filename*${i}*=utf-8''%C3%A9`).join(';')}\n\nJVBERi0=\n--x--\n`), (raw) => parseStructure(raw), 500);
  });

  it('decodes quoted-printable and base64, well-formed or broken, in linear time', async () => {
    await assertLinear('quoted-printable', (n) => Buffer.from('caf=C3=A9 cr=C3=A8me =\r\n'.repeat(n)), (raw) => decodeTransfer(raw, 'quoted-printable'), 5_000);
    await assertLinear('quoted-printable of lone "="', (n) => Buffer.from('='.repeat(n)), (raw) => decodeTransfer(raw, 'quoted-printable'), 20_000);
    await assertLinear('quoted-printable trailing white space', (n) => Buffer.from(`${' \t'.repeat(n)}=\r\nx`), (raw) => decodeTransfer(raw, 'quoted-printable'), 20_000);
    await assertLinear('base64', (n) => Buffer.from('QUJDREVGR0g=\r\n'.repeat(n)), (raw) => decodeTransfer(raw, 'base64'), 5_000);
    await assertLinear('base64 of junk', (n) => Buffer.from('!*QQ==\r\n'.repeat(n)), (raw) => decodeTransfer(raw, 'base64'), 5_000);
  });
});

describe('growth of charset detection with the size of the body', () => {
  // the detector judges 64 KB; the charset it picks must decode everything, once
  it('decodes an undeclared 8-bit body (detector, then windows-1252) in linear time', async () => {
    await assertLinear('n bytes of undeclared Latin-1', (n) => Buffer.from('caf\xe9 cr\xe8me \xe0 la '.repeat(n), 'latin1'), (raw) => decodeBody(raw, undefined), 20_000);
    await assertLinear('n bytes declared UTF-8 that are not', (n) => Buffer.from('caf\xe9 cr\xe8me \xe0 la '.repeat(n), 'latin1'), (raw) => decodeBody(raw, 'utf-8', 'html'), 20_000);
  });
});

describe('growth of the planner and of nesting', () => {
  /** A BODYSTRUCTURE as IMAP gives it: 40 alternatives nested, each with n parts nothing displays and an attached message. */
  const deep = (n: number): MessageStructureObject => {
    let node: MessageStructureObject = { type: 'text/plain', part: '1', size: 10 } as MessageStructureObject;
    for (let i = 0; i < 40; i++) {
      node = { type: 'multipart/alternative', parameters: { boundary: `b${i}` }, childNodes: [
        node,
        ...Array.from({ length: n }, () => ({ type: 'application/octet-stream', size: 1 }) as MessageStructureObject),
        { type: 'message/rfc822', part: '2', size: 100, childNodes: [{ type: 'text/plain', part: '2.1', size: 1 }] } as MessageStructureObject,
      ] } as MessageStructureObject;
    }
    return node;
  };

  it('plans IMAP structures of many parts in nested alternatives in linear time', async () => {
    await assertLinear('40 nested alternatives of n parts each', deep, (s) => [planDisplay(s), hasAttachments(s)], 10);
    const wide = (n: number) => ({ type: 'multipart/alternative', parameters: { boundary: 'a' }, childNodes: Array.from({ length: n }, () => ({ type: 'application/octet-stream', size: 1 })) }) as MessageStructureObject;
    await assertLinear('an alternative of n parts nothing displays', wide, (s) => planDisplay(s), 500);
  });

  it('opens an .eml of attached messages nested n deep in linear time, showing the outermost', async () => {
    const nested = (n: number) => {
      let message = 'From: inner@hostile.test\nSubject: innermost\n\ninnermost body\n';
      for (let i = 0; i < n; i++) {
        message = `${HEAD}Content-Type: multipart/mixed; boundary="b${i}"\n\n--b${i}\nContent-Type: text/plain\n\nlevel ${i}\n--b${i}\nContent-Type: message/rfc822\n\n${message}\n--b${i}--\n`;
      }
      return crlf(message);
    };
    await assertLinear('n nested attached messages', nested, view, 50);
    const model = await view(nested(500));
    assert.match(model.document, /level 499/);
    assert.deepEqual(model.attachments.map((a) => a.contentType), ['message/rfc822']);
  });
});

describe('growth of invitation parsing with the size of the invitation', () => {
  const ics = (lines: string) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n${lines.replace(/\r?\n/g, '\r\n')}\r\nEND:VCALENDAR\r\n`;
  const event = 'BEGIN:VEVENT\nUID:1@hostile.test\nSUMMARY:Review\nDTSTART:20250310T100000Z\nDTEND:20250310T103000Z\n';

  it('reads n events, n attendees, n folded lines and n nested components in linear time', async () => {
    await assertLinear('n events', (n) => ics(`${event}END:VEVENT\n`.repeat(n)), (text) => readCalendar(text), 200);
    await assertLinear('n attendees', (n) => ics(`${event}${'ATTENDEE;CN=A;ROLE=REQ-PARTICIPANT:mailto:a@b.test\n'.repeat(n)}END:VEVENT`), (text) => readCalendar(text), 500);
    await assertLinear('a description folded over n lines', (n) => ics(`${event}DESCRIPTION:${'words\n '.repeat(n)}\nEND:VEVENT`), (text) => readCalendar(text), 2_000);
    await assertLinear('n nested alarms', (n) => ics(`${event}${'BEGIN:VALARM\n'.repeat(n)}${'END:VALARM\n'.repeat(n)}END:VEVENT`), (text) => readCalendar(text), 200);
    await assertLinear('an unclosed quoted parameter of n bytes', (n) => ics(`${event}ATTENDEE;CN="${'a;b:c'.repeat(n)}\nEND:VEVENT`), (text) => readCalendar(text), 2_000);
    assert.equal(readCalendar(ics(`${event}${'ATTENDEE;CN=A;ROLE=REQ-PARTICIPANT:mailto:a@b.test\n'.repeat(2_000)}END:VEVENT`))?.summary, 'Review');
  });
});
