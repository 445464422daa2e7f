import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAddress, formatSize, plainLabel, relativeDate, safeFileName, shortDate } from '../../src/core/text';

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

  it('shows recent dates relatively', () => {
    const now = new Date(2026, 10, 25, 15, 0, 0);
    assert.equal(relativeDate(new Date(2026, 10, 25, 14, 59, 30), now), 'just now');
    assert.equal(relativeDate(new Date(2026, 10, 25, 14, 48), now), '12 min ago');
    assert.equal(relativeDate(new Date(2026, 10, 25, 9, 5), now), '09:05');
    assert.equal(relativeDate(new Date(2026, 10, 24, 22, 1), now), 'Yesterday 22:01');
    assert.equal(relativeDate(new Date(2026, 10, 21, 10, 0), now), 'Sat 10:00');
    assert.equal(relativeDate(new Date(2026, 2, 3), now), '3 Mar');
    assert.equal(relativeDate(new Date(2024, 2, 3), now), '3 Mar 2024');
    assert.equal(relativeDate(new Date('garbage'), now), '');
  });

  it("keeps a row's date short: a time today, a weekday this week, a day and month, a year before", () => {
    const now = new Date(2026, 10, 25, 15, 0, 0);
    assert.equal(shortDate(new Date(2026, 10, 25, 9, 5), now), '09:05');
    assert.equal(shortDate(new Date(2026, 10, 24, 22, 36), now), 'Tue');
    assert.equal(shortDate(new Date(2026, 10, 19, 10, 0), now), 'Thu');
    assert.equal(shortDate(new Date(2026, 10, 18, 10, 0), now), '18 Nov');
    assert.equal(shortDate(new Date(2024, 2, 3), now), '3 Mar 2024');
    assert.equal(shortDate(new Date(2026, 10, 26, 8, 0), now), '26 Nov', 'a date in the future (a wrong clock) is not "today"');
    assert.equal(shortDate(new Date('garbage'), now), '');
    for (const date of [new Date(2026, 10, 25, 23, 59), new Date(2026, 0, 31), new Date(1999, 11, 31)]) {
      assert.ok(shortDate(date, now).length <= 11);
    }
  });

  it('formats sizes', () => {
    assert.equal(formatSize(512), '512 B');
    assert.equal(formatSize(1536), '1.5 KB');
    assert.equal(formatSize(25 * 1024 * 1024), '25 MB');
  });

  it('makes hostile attachment names safe to write', () => {
    assert.equal(safeFileName('../../etc/passwd'), '_.._etc_passwd');
    assert.equal(safeFileName('report\u202Etxt.exe'), 'reporttxt.exe');
    assert.equal(safeFileName('CON'), 'attachment');
    assert.equal(safeFileName(''), 'attachment');
    assert.equal(safeFileName('a:b*c?.log'), 'a_b_c_.log');
  });
});
