import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newAccountId, normaliseFingerprint, parseAccounts, suggestFromEmail, validateAccount } from '../../src/core/account';

describe('account settings', () => {
  it('prefills host and user from the email address', () => {
    assert.deepEqual(suggestFromEmail('Ada@Example.COM'), { host: 'imap.example.com', user: 'Ada@Example.COM', port: 993, security: 'tls' });
    assert.deepEqual(suggestFromEmail('not-an-address'), {});
    assert.deepEqual(suggestFromEmail('trailing@'), {});
  });

  it('names each wrong field with a sentence', () => {
    const problems = validateAccount({ email: 'nope', imap: { host: 'bad host!', port: 70000, security: 'ssl' as never, user: '' } });
    assert.deepEqual(problems.map((p) => p.field).sort(), ['email', 'host', 'port', 'security', 'user']);
    assert.ok(problems.every((p) => p.message.endsWith('.')));
    assert.deepEqual(validateAccount({ email: 'a@b.test', imap: { host: '127.0.0.1', port: 993, security: 'tls', user: 'a' } }), []);
    assert.deepEqual(validateAccount({ email: 'a@b.test', imap: { host: '::1', port: 993, security: 'tls', user: 'a' } }), []);
  });

  it('keeps valid accounts from settings and reports the others by position', () => {
    const { accounts, problems } = parseAccounts([
      { id: 'one', email: 'a@b.test', imap: { host: 'imap.b.test', port: 993, security: 'tls', user: 'a' } },
      { id: 'two', email: 'broken', imap: { host: 'imap.b.test' } },
      'garbage',
      { id: 'one', email: 'c@d.test', imap: { host: 'imap.d.test', port: 143, security: 'starttls', user: 'c' } },
    ]);
    assert.deepEqual(accounts.map((a) => a.id), ['one']);
    assert.equal(problems.length, 3);
    assert.match(problems[0], /Account 2 \(broken\)/);
    assert.match(problems[1], /Account 3 is not an object/);
    assert.match(problems[2], /repeats the id "one"/);
  });

  it('defaults the port from the security setting', () => {
    const { accounts } = parseAccounts([{ id: 'x', email: 'a@b.test', imap: { host: 'h.test', security: 'starttls', user: 'a' } }]);
    assert.equal(accounts[0].imap.port, 143);
  });

  it('normalises certificate fingerprints to the form Node prints', () => {
    const hex = 'ab'.repeat(32);
    assert.equal(normaliseFingerprint(hex), Array(32).fill('AB').join(':'));
    assert.equal(normaliseFingerprint(Array(32).fill('ab').join(' ')), Array(32).fill('AB').join(':'));
    assert.equal(normaliseFingerprint('abcd'), undefined);
  });

  it('derives unique account ids', () => {
    assert.equal(newAccountId('Ada@Example.com', []), 'ada-example-com');
    assert.equal(newAccountId('ada@example.com', ['ada-example-com', 'ada-example-com-2']), 'ada-example-com-3');
  });
});
