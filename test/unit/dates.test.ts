import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DisplayFormat, displayLocale } from '../../src/core/dates';
import { folderDisplayName } from '../../src/core/mail/folderName';

// Fixed zone: the same instants read the same on any machine.
const en = new DisplayFormat('en', 'UTC');
const gb = new DisplayFormat('en-GB', 'UTC');
const de = new DisplayFormat('de', 'UTC');
const at = (iso: string) => new Date(iso);

describe('dates in the display language', () => {
  it('formats the full date and time one way per language', () => {
    const date = at('2026-11-30T10:42:02Z');
    assert.equal(en.full(date), 'Mon, Nov 30, 2026, 10:42 AM');
    assert.equal(gb.full(date), 'Mon, 30 Nov 2026, 10:42');
    assert.match(de.full(date), /^Mo\.?, 30\. Nov\.? 2026(,| um) 10:42$/);
    assert.equal(en.fullWithSeconds(date), 'Mon, Nov 30, 2026, 10:42:02 AM');
    assert.equal(en.day('2026-11-30T10:42:02.000Z'), 'Nov 30, 2026');
    assert.equal(de.count(12345), '12.345');
    assert.equal(en.count(12345), '12,345');
  });

  it('shows recent dates relatively, in the language', () => {
    const now = at('2026-11-25T15:00:00Z');
    assert.equal(en.relative(at('2026-11-25T14:59:30Z'), now), 'now');
    assert.equal(en.relative(at('2026-11-25T14:48:00Z'), now), '12 min. ago');
    assert.equal(en.relative(at('2026-11-25T09:05:00Z'), now), '9:05 AM');
    assert.equal(gb.relative(at('2026-11-25T19:05:00Z'), at('2026-11-25T21:00:00Z')), '19:05');
    assert.equal(en.relative(at('2026-11-24T22:01:00Z'), now), 'yesterday 10:01 PM');
    assert.equal(de.relative(at('2026-11-24T22:01:00Z'), now), 'gestern 22:01');
    assert.equal(en.relative(at('2026-11-21T10:00:00Z'), now), 'Sat 10:00 AM');
    assert.equal(en.relative(at('2026-03-03T10:00:00Z'), now), 'Mar 3');
    assert.equal(gb.relative(at('2026-03-03T10:00:00Z'), now), '3 Mar');
    assert.equal(en.relative(at('2024-03-03T10:00:00Z'), now), 'Mar 3, 2024');
  });

  it("keeps a row's date short: a time today, a weekday this week, month and day this year, a year before", () => {
    const now = at('2026-11-25T15:00:00Z');
    assert.equal(en.short(at('2026-11-25T09:05:00Z'), now), '9:05 AM');
    assert.equal(gb.short(at('2026-11-25T19:05:00Z'), at('2026-11-25T21:00:00Z')), '19:05');
    assert.equal(en.short(at('2026-11-24T22:36:00Z'), now), 'Tue');
    assert.match(de.short(at('2026-11-24T22:36:00Z'), now), /^Di\.?$/);
    assert.equal(en.short(at('2026-11-19T10:00:00Z'), now), 'Thu');
    assert.equal(en.short(at('2026-11-18T10:00:00Z'), now), 'Nov 18');
    assert.equal(gb.short(at('2026-11-18T10:00:00Z'), now), '18 Nov');
    assert.equal(en.short(at('2024-03-03T10:00:00Z'), now), 'Mar 3, 2024');
    assert.equal(en.short(at('2026-11-26T08:00:00Z'), now), 'Nov 26', 'a date in the future (a wrong clock) is not "today"');
    assert.equal(en.short(new Date('garbage'), now), '');
    for (const date of ['2026-11-25T23:59:00Z', '2026-01-31T00:00:00Z', '1999-12-31T00:00:00Z']) {
      assert.ok(en.short(at(date), now).length <= 12, date);
    }
  });

  it('treats missing and invalid dates as empty, and unknown languages as English', () => {
    assert.equal(en.full(undefined), '');
    assert.equal(en.relative(new Date('garbage')), '');
    assert.equal(en.day('not a date'), '');
    assert.equal(displayLocale('zh-cn'), 'zh-cn');
    assert.equal(displayLocale('"><script>'), 'en');
    assert.equal(displayLocale(''), 'en');
    assert.equal(new DisplayFormat('qq-invalid-tag-!!', 'UTC').full(at('2026-11-30T10:42:02Z')), 'Mon, Nov 30, 2026, 10:42 AM');
  });
});

describe('folder display names', () => {
  it('shows the hierarchy with " / ", whatever the delimiter', () => {
    assert.equal(folderDisplayName('Triage.Confirmed', '.'), 'Triage / Confirmed');
    assert.equal(folderDisplayName('Triage/Confirmed/2026', '/'), 'Triage / Confirmed / 2026');
    assert.equal(folderDisplayName('INBOX', '.'), 'INBOX');
    assert.equal(folderDisplayName('a.b', undefined), 'a.b');
  });

  it('keeps each level plain text', () => {
    assert.equal(folderDisplayName('Bugs/\u202Etxt.exe', '/'), 'Bugs / txt.exe');
  });
});
