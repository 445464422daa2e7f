import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAddress, formatSize, plainLabel, safeFileName } from '../../src/core/text';

describe('plain text for VS Code UI', () => {
  it('removes bidi overrides, zero-width and control characters', () => {
    assert.equal(plainLabel('invoice\u202Efdp.exe'), 'invoicefdp.exe');
    assert.equal(plainLabel('a\u200Bb\u2066c\u2069\u0007d'), 'abcd');
    assert.equal(plainLabel('line one\r\nline\ttwo'), 'line one line two');
  });

  it('decodes encoded words left in a header', () => {
    assert.equal(plainLabel('=?UTF-8?B?w5xuw69jw7Zkw6k=?= test'), 'Ünïcödé test');
    assert.equal(plainLabel('=?ISO-8859-1?Q?Caf=E9?='), 'Café');
    assert.equal(plainLabel('=?bogus'), '=?bogus');
  });

  it('keeps markdown and command links as inert text', () => {
    assert.equal(plainLabel('[click](command:workbench.action.terminal.new) **bold**'), '[click](command:workbench.action.terminal.new) **bold**');
  });

  it('bounds the length', () => {
    assert.equal(plainLabel('x'.repeat(500), 10), `${'x'.repeat(9)}…`);
  });

  it('formats addresses without repeating an address used as name', () => {
    assert.equal(formatAddress({ name: 'Dana', address: 'dana@x.test' }), 'Dana <dana@x.test>');
    assert.equal(formatAddress({ name: 'dana@x.test', address: 'dana@x.test' }), 'dana@x.test');
    assert.equal(formatAddress({}), '(unknown)');
  });

  it('formats sizes', () => {
    assert.equal(formatSize(512), '512 B');
    assert.equal(formatSize(1536), '1.5 KB');
    assert.equal(formatSize(25 * 1024 * 1024), '25 MB');
  });

  it('makes hostile attachment names safe to write', () => {
    assert.equal(safeFileName('../../etc/passwd'), '_.._etc_passwd');
    assert.equal(safeFileName('report\u202Etxt.exe'), 'reporttxt.exe');
    assert.equal(safeFileName('CON'), '_CON');
    assert.equal(safeFileName(''), 'attachment');
    assert.equal(safeFileName('a:b*c?.log'), 'a_b_c_.log');
  });

  it('cuts long names by UTF-8 bytes, keeping the extension and whole characters', () => {
    const long = `${'日本語'.repeat(60)}.pdf`; // 540 + 4 bytes
    const cut = safeFileName(long);
    assert.ok(Buffer.byteLength(cut, 'utf8') <= 255, `${Buffer.byteLength(cut, 'utf8')} bytes`);
    assert.ok(cut.endsWith('.pdf'));
    assert.ok(!cut.includes('\uFFFD'));
    assert.equal(safeFileName(`${'a'.repeat(300)}.tar.gz`), `${'a'.repeat(252)}.gz`);
    const emoji = safeFileName(`${'😀'.repeat(100)}.txt`);
    assert.ok(Buffer.byteLength(emoji, 'utf8') <= 255 && emoji.endsWith('.txt'));
    assert.equal(Buffer.from(emoji, 'utf8').toString('utf8'), emoji, 'no half of a surrogate pair');
  });

  it('makes Windows device names, trailing dots and spaces harmless', () => {
    for (const name of ['CON', 'con.txt', 'Com1.log', 'LPT9', 'CONIN$', 'conout$.txt', 'NUL .txt', 'aux.', 'COM¹']) {
      assert.match(safeFileName(name), /^_/, name);
    }
    assert.equal(safeFileName('CONSOLE.txt'), 'CONSOLE.txt');
    assert.equal(safeFileName('report.pdf. . .'), 'report.pdf');
    assert.equal(safeFileName('report.pdf   '), 'report.pdf');
    assert.equal(safeFileName('...hidden'), 'hidden');
  });

  it('shows an extension hidden behind blank padding', () => {
    assert.equal(safeFileName(`invoice.pdf${'\u3164'.repeat(40)}.exe`), 'invoice.pdf.exe');
    assert.equal(safeFileName(`invoice.pdf${'\u2800'.repeat(40)}.exe`), 'invoice.pdf.exe');
    assert.equal(safeFileName(`invoice.pdf${'\u2003'.repeat(40)}.exe`), 'invoice.pdf .exe');
    assert.equal(safeFileName(`invoice.pdf\u200B\uFE0F\u115F.exe`), 'invoice.pdf.exe');
  });
});
