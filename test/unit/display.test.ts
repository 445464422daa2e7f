// The pure parts of issue 10: charset rules, lenient dates, raw header fields, size limits that
// cut between tags, invitations, and the structure built from a raw source.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import iconv from 'iconv-lite';
import { cutHtml, cutText, DATA_URL_MOVE_CHARS, moveDataImages } from '../../src/core/render/bodyLimits';
import { readCalendar } from '../../src/core/render/calendar';
import { decodeBody, decodeEncodedWords, decodeHeaderBytes, metaCharset } from '../../src/core/render/charset';
import { parseMailDate } from '../../src/core/render/dates';
import { readHeaderFields } from '../../src/core/render/headerFields';
import { decodedSize, planDisplay } from '../../src/core/render/mime';
import { parseStructure } from '../../src/core/render/structure';
import { eventWhen } from '../../src/core/render/viewModel';

const crlf = (text: string) => Buffer.from(text.replace(/\r?\n/g, '\r\n'));

describe('charsets', () => {
  it('uses the declared charset when the bytes are valid in it', () => {
    assert.deepEqual(decodeBody(iconv.encode('Привет', 'koi8-r'), 'KOI8-R'), { text: 'Привет', charset: 'koi8-r', source: 'declared' });
    assert.equal(decodeBody(Buffer.from('Grüße'), 'utf-8').text, 'Grüße');
  });

  it('reads us-ascii with 8-bit bytes, and no charset, as UTF-8 when valid, else by detection, else windows-1252', () => {
    assert.deepEqual(decodeBody(Buffer.from('Grüße aus Köln – Привет'), 'us-ascii'), { text: 'Grüße aus Köln – Привет', charset: 'utf-8', source: 'utf-8' });
    assert.equal(decodeBody(iconv.encode('“Thanks” – 12€', 'windows-1252'), undefined).text, '“Thanks” – 12€');
    const russian = iconv.encode('Сборка прошла успешно, все тесты зелёные, отчёт приложен к письму.', 'windows-1251');
    assert.equal(decodeBody(russian, undefined).text, 'Сборка прошла успешно, все тесты зелёные, отчёт приложен к письму.');
  });

  it('falls back when the declared charset is invalid for the bytes or unknown', () => {
    assert.equal(decodeBody(Buffer.from('naïve'), 'x-no-such-charset').text, 'naïve');
    assert.equal(decodeBody(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'utf-8').text, 'café');
  });

  it('takes the HTML meta charset (both forms) when the MIME header has none', () => {
    const html = (meta: string, body: Buffer) => Buffer.concat([Buffer.from(`<html><head>${meta}</head><body>`), body, Buffer.from('</body></html>')]);
    assert.equal(metaCharset(Buffer.from('<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=Shift_JIS">')), 'shift_jis');
    assert.equal(decodeBody(html('<meta charset="windows-1251">', iconv.encode('Привет', 'windows-1251')), undefined, 'html').source, 'meta');
    assert.match(decodeBody(html('<meta charset="windows-1251">', iconv.encode('Привет', 'windows-1251')), 'us-ascii', 'html').text, /Привет/);
  });

  it('decodes UTF-7 bodies and encoded words (utf-7 and unicode-1-1-utf-7)', () => {
    assert.equal(decodeBody(Buffer.from('Pr+APw-fung: Gr+APYA3w-e 5 +IKw +IBM ok'), 'utf-7').text, 'Prüfung: Größe 5 € – ok');
    assert.equal(decodeEncodedWords('=?unicode-1-1-utf-7?Q?+ANw-bermittlungsstatus?='), 'Übermittlungsstatus');
    // markup hidden in UTF-7 is markup once decoded: the sanitizer runs after this, never before
    assert.equal(decodeBody(Buffer.from('+ADw-script+AD4-'), 'utf-7').text, '<script>');
  });

  it('joins adjacent encoded words before decoding (a character split over two words)', () => {
    const bytes = Buffer.from('日本語', 'utf8');
    const a = bytes.subarray(0, 4).toString('base64');
    const b = bytes.subarray(4).toString('base64');
    assert.equal(decodeEncodedWords(`=?UTF-8?B?${a}?= =?UTF-8?B?${b}?= ok`), '日本語 ok');
    assert.equal(decodeEncodedWords('=?ISO-8859-1?Q?Caf=E9?= au lait'), 'Café au lait');
  });

  it('decodes raw 8-bit header bytes: UTF-8, else the message charset, else detection', () => {
    assert.equal(decodeHeaderBytes(Buffer.from('Grüße')), 'Grüße');
    assert.equal(decodeHeaderBytes(iconv.encode('Отчёт', 'koi8-r'), 'koi8-r'), 'Отчёт');
    assert.equal(decodeHeaderBytes(Buffer.from('Caf\xe9', 'latin1')), 'Café');
  });
});

describe('dates', () => {
  const cases: Array<[string, string | undefined]> = [
    ['Tue, 1 Jul 2025 10:00:00 CEST', '2025-07-01T08:00:00.000Z'],
    ['Mon, 3 Mar 2025 09:15 PST', '2025-03-03T17:15:00.000Z'],
    ['Tue, 1 Jul 2025 10:00:00 +0200 (CEST)', '2025-07-01T08:00:00.000Z'],
    ['Tue Jul  1 10:00:00 2025', '2025-07-01T10:00:00.000Z'],
    ['1 Jul 25 10:00 GMT+2', '2025-07-01T08:00:00.000Z'],
    ['Tue, 01-Jul-2025 10:00:00 EDT', '2025-07-01T14:00:00.000Z'],
    ['2025-07-01 10:00:00 +0200', '2025-07-01T08:00:00.000Z'],
    ['Di, 1 Okt 2025 10:00:00 MESZ', '2025-10-01T08:00:00.000Z'],
    ['Wed, 12 Mar 2025 09:00:00 JST', '2025-03-12T00:00:00.000Z'],
    ['yesterday afternoon', undefined],
    ['garbage date', undefined],
    ['', undefined],
  ];
  for (const [text, iso] of cases) {
    it(`reads ${JSON.stringify(text)}`, () => assert.equal(parseMailDate(text)?.toISOString(), iso));
  }

  it('stays linear on a hostile Date header', () => {
    const value = `${'1 '.repeat(50_000)}x`;
    assert.equal(parseMailDate(value), undefined);
  });
});

describe('header fields read raw', () => {
  it('reads subject, addresses (groups flattened) and a lenient date, with 8-bit bytes by the message charset', () => {
    const raw = Buffer.concat([
      Buffer.from('Subject: '), iconv.encode('Отчёт о сборке', 'koi8-r'), Buffer.from('\r\nFrom: '), iconv.encode('Иван', 'koi8-r'),
      Buffer.from(' <ivan@mail.test>\r\nTo: Team: a@x.test, "B, Bee" <b@x.test>;\r\nDate: Tue, 1 Jul 2025\r\n 10:00:00 CEST\r\nMessage-ID: <id@x>\r\n\r\nbody'),
    ]);
    const fields = readHeaderFields(raw, 'koi8-r');
    assert.equal(fields.subject, 'Отчёт о сборке');
    assert.deepEqual(fields.from, [{ name: 'Иван', address: 'ivan@mail.test' }]);
    assert.deepEqual(fields.to.map((a) => a.address), ['a@x.test', 'b@x.test']);
    assert.equal(fields.to[1].name, 'B, Bee');
    assert.equal(fields.date?.toISOString(), '2025-07-01T08:00:00.000Z');
    assert.equal(fields.messageId, '<id@x>');
  });
});

describe('size limits', () => {
  it('moves large data: images out of the HTML and keeps small ones', () => {
    const big = 'A'.repeat(DATA_URL_MOVE_CHARS + 4);
    const { html, images } = moveDataImages(`<p>a</p><img src="data:image/png;base64,${big}"><img src="data:image/gif;base64,R0lGOD"><p>after</p>`);
    assert.equal(html, '<p>a</p><img src="cid:mx-data-1@local"><img src="data:image/gif;base64,R0lGOD"><p>after</p>');
    assert.deepEqual(images.map((i) => [i.cid, i.contentType, i.data.length]), [['mx-data-1@local', 'image/png', (big.length * 3) / 4]]);
  });

  it('cuts HTML between tags, never inside a tag, an attribute or a reference', () => {
    const html = '<p class="a">one &amp; two</p><img alt="x>y" src="z"><p>three</p>';
    for (let limit = 1; limit < html.length; limit++) {
      const cut = cutHtml(html, limit);
      assert.ok(cut.length <= limit);
      assert.ok(html.startsWith(cut));
      const open = cut.lastIndexOf('<');
      assert.ok(open < 0 || cut.indexOf('>', open) > 0 || !cut.slice(open).includes(' '), `limit ${limit}: ${cut}`);
      assert.ok(!/&[a-z]*$/.test(cut), `limit ${limit}: ${cut}`);
    }
    assert.equal(cutHtml(html, 1000), html);
  });

  it('cuts text at a line and never between the halves of a surrogate pair', () => {
    assert.equal(cutText('line one\nline two\nline three', 20), 'line one\nline two');
    const emoji = `${'a'.repeat(9)}🚀🚀`;
    assert.equal(cutText(emoji, 10), 'a'.repeat(9));
  });
});

describe('invitations', () => {
  const ics = (lines: string) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\n${lines.replace(/\n/g, '\r\n')}\r\nEND:VCALENDAR\r\n`;

  it('reads an Outlook REQUEST with its VTIMEZONE into UTC instants', () => {
    const card = readCalendar(ics(`METHOD:REQUEST
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
SUMMARY:Review
DTSTART;TZID=W. Europe Standard Time:20250115T140000
DURATION:PT45M
ORGANIZER;CN=Olaf:mailto:olaf@outlook.test
ATTENDEE:mailto:a@x.test
ATTENDEE:mailto:b@x.test
LOCATION:Room 1
END:VEVENT`));
    assert.deepEqual(card, { method: 'REQUEST', summary: 'Review', start: '2025-01-15T13:00:00.000Z', end: '2025-01-15T13:45:00.000Z', allDay: false, organizer: { name: 'Olaf', address: 'olaf@outlook.test' }, location: 'Room 1', attendees: 2, status: '', events: 1 });
  });

  it('reads an IANA TZID without VTIMEZONE, a CANCEL, and an all-day event', () => {
    assert.equal(readCalendar(ics('BEGIN:VEVENT\nSUMMARY:x\nDTSTART;TZID=America/New_York:20250704T090000\nEND:VEVENT'))?.start, '2025-07-04T13:00:00.000Z');
    const cancel = readCalendar(ics('METHOD:CANCEL\nBEGIN:VEVENT\nSUMMARY:x\nSTATUS:CANCELLED\nDTSTART:20250704T090000Z\nEND:VEVENT'));
    assert.deepEqual([cancel?.method, cancel?.status], ['CANCEL', 'CANCELLED']);
    const allDay = readCalendar(ics('BEGIN:VEVENT\nSUMMARY:Holiday\nDTSTART;VALUE=DATE:20250418\nDTEND;VALUE=DATE:20250419\nEND:VEVENT'));
    assert.equal(allDay?.allDay, true);
    assert.match(eventWhen(allDay?.start, allDay?.end, true), /^Fri, Apr 18, 2025 \(all day\)$/);
    assert.equal(readCalendar('not a calendar'), undefined);
  });
});

describe('structure from a raw source', () => {
  it('numbers parts as IMAP does and plans the Apple Mail shape', async () => {
    const parsed = await parseStructure(crlf(`Content-Type: multipart/alternative; boundary=A

--A
Content-Type: text/plain

plain
--A
Content-Type: multipart/mixed; boundary=M

--M
Content-Type: text/html

<b>one</b>
--M
Content-Type: application/pdf; name="r.pdf"
Content-Disposition: inline; filename="r.pdf"
Content-Transfer-Encoding: base64

JVBERi0=
--M
Content-Type: text/html

<i>two</i>
--M--
--A--
`));
    const plan = planDisplay(parsed.structure);
    assert.deepEqual(plan.body.map((p) => [p.part, p.type]), [['2.1', 'text/html'], ['2.3', 'text/html']]);
    assert.equal(plan.alternative?.part, '1');
    assert.deepEqual(plan.attachments.map((a) => [a.part, a.filename]), [['2.2', 'r.pdf']]);
    assert.equal(parsed.parts.get('2.3')?.raw.toString(), '<i>two</i>');
  });

  it('shows a multipart without boundary as its text, and a name alone does not make an attachment', async () => {
    const parsed = await parseStructure(crlf('Content-Type: multipart/report;\n\nwhole text\n'));
    assert.deepEqual(planDisplay(parsed.structure).body.map((p) => p.part), ['TEXT']);
    assert.equal(parsed.parts.get('TEXT')?.raw.toString(), 'whole text\r\n');
    const named = await parseStructure(crlf('Content-Type: text/plain; name="notes.txt"\n\nnotes\n'));
    assert.deepEqual(planDisplay(named.structure).attachments, []);
  });

  it('estimates decoded sizes from encoded ones and marks them', () => {
    // 25 MB in base64 lines of 76 characters: 35,872,340 encoded bytes, shown as about 25 MB, not 34 MB
    const estimate = decodedSize({ size: 35_872_340, encoding: 'base64' });
    assert.equal(estimate.exact, false);
    assert.ok(Math.abs(estimate.size - 26_214_400) < 26_214_400 * 0.001, String(estimate.size));
    assert.deepEqual(decodedSize({ size: 400, encoding: '7bit' }), { size: 400, exact: true });
    assert.deepEqual(decodedSize({ size: 6000, encoding: 'base64', dispositionParameters: { size: '4000' } }), { size: 4000, exact: true });
  });
});
