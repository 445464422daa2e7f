import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type MessageStructureObject } from 'imapflow';
import { cidReferences, decodeText, hasAttachments, planDisplay } from '../../src/core/render/mime';

const text = (part: string, extra: Partial<MessageStructureObject> = {}): MessageStructureObject => ({ part, type: 'text/plain', parameters: { charset: 'utf-8' }, size: 10, ...extra });
const html = (part: string, extra: Partial<MessageStructureObject> = {}): MessageStructureObject => ({ part, type: 'text/html', parameters: { charset: 'utf-8' }, size: 20, ...extra });
const multi = (type: string, childNodes: MessageStructureObject[], part?: string, parameters?: Record<string, string>): MessageStructureObject => ({ type, childNodes, ...(part ? { part } : {}), parameters: { boundary: 'b', ...parameters } });

describe('MIME display plan', () => {
  it('shows a single-part message from part 1', () => {
    const plan = planDisplay({ type: 'text/plain', parameters: { charset: 'iso-8859-1' } });
    assert.deepEqual(plan.body.map((b) => [b.part, b.charset]), [['1', 'iso-8859-1']]);
    assert.deepEqual(plan.attachments, []);
  });

  it('prefers HTML in multipart/alternative and keeps the plain part as fallback', () => {
    const plan = planDisplay(multi('multipart/alternative', [text('1'), html('2')]));
    assert.deepEqual(plan.body.map((b) => b.part), ['2']);
    assert.equal(plan.alternative?.part, '1');
  });

  it('resolves multipart/related inside alternative, with inline images by Content-ID', () => {
    const structure = multi('multipart/mixed', [
      multi('multipart/alternative', [text('1.1'), multi('multipart/related', [html('1.2.1'), { part: '1.2.2', type: 'image/png', id: '<Logo@X>', size: 300 }], '1.2')], '1'),
      { part: '2', type: 'application/pdf', disposition: 'attachment', dispositionParameters: { filename: 'report.pdf' }, size: 25_000_000 },
      { part: '3', type: 'message/rfc822', size: 900, envelope: { subject: 'Fwd: hi' } },
    ]);
    const plan = planDisplay(structure);
    assert.deepEqual(plan.body.map((b) => b.part), ['1.2.1']);
    assert.equal(plan.alternative?.part, '1.1');
    assert.deepEqual([...plan.inline.keys()], ['logo@x']);
    assert.deepEqual(plan.attachments.map((a) => [a.part, a.filename, a.size, a.sizeExact]), [['2', 'report.pdf', 25_000_000, true], ['3', 'Fwd: hi.eml', 900, true]]);
    assert.equal(hasAttachments(structure), true);
  });

  it('treats a named text part as an attachment, not as the body', () => {
    const plan = planDisplay(multi('multipart/mixed', [text('1'), text('2', { disposition: 'attachment', dispositionParameters: { filename: 'server.log' } })]));
    assert.deepEqual(plan.body.map((b) => b.part), ['1']);
    assert.deepEqual(plan.attachments.map((a) => a.filename), ['server.log']);
  });

  it('finds the body when the first part of a mixed message is an attachment', () => {
    const plan = planDisplay(multi('multipart/mixed', [{ part: '1', type: 'image/jpeg', size: 5 }, text('2')]));
    assert.deepEqual(plan.body.map((b) => b.part), ['2']);
    assert.deepEqual(plan.attachments.map((a) => a.part), ['1']);
  });

  it('names nameless attachments by part and type, and strips bidi tricks from names', () => {
    const plan = planDisplay(multi('multipart/mixed', [text('1'), { part: '2', type: 'application/zip', size: 1 }, { part: '3', type: 'application/octet-stream', dispositionParameters: { filename: 'invoice\u202Efdp.exe' }, disposition: 'attachment', size: 1 }]));
    assert.deepEqual(plan.attachments.map((a) => a.filename), ['part-2.zip', 'invoicefdp.exe']);
  });

  it('has no attachment for a plain alternative message', () => {
    assert.equal(hasAttachments(multi('multipart/alternative', [text('1'), html('2')])), false);
    assert.equal(hasAttachments(undefined), false);
  });

  it('decodes charsets, including Japanese ones, and format=flowed', async () => {
    assert.equal(await decodeText(Buffer.from('Caf\xe9', 'latin1'), { charset: 'iso-8859-1', type: 'text/plain' }), 'Café');
    assert.equal(await decodeText(Buffer.from([0x82, 0xb1, 0x82, 0xf1]), { charset: 'Shift_JIS', type: 'text/plain' }), 'こん');
    assert.equal(await decodeText(Buffer.from('a soft \r\nbreak\r\n'), { charset: 'utf-8', flowed: true, type: 'text/plain' }), 'a soft break');
    assert.equal(await decodeText(Buffer.from('plain'), { charset: 'no-such-charset', type: 'text/plain' }), 'plain');
  });

  it('finds cid references in HTML', () => {
    assert.deepEqual([...cidReferences('<img src="cid:Logo@X"><td style="background:url(cid:bg%40x)">')], ['logo@x', 'bg@x']);
  });
});
