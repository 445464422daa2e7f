import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSender, headerValues, parseAuthResults } from '../../src/core/authResults';

describe('Authentication-Results (RFC 8601)', () => {
  it('parses the RFC 8601 appendix examples and real-world fields', () => {
    assert.deepEqual(parseAuthResults('example.org 1; none'), { authservId: 'example.org', results: [] });
    const gmail = parseAuthResults(`mx.google.com;
       dkim=pass header.i=@example.com header.s=s1 header.b=AbC/d+e=;
       spf=pass (google.com: domain of a@example.com designates 1.2.3.4 as permitted sender) smtp.mailfrom=a@example.com;
       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com`.replace(/\n/g, '\r\n'))!;
    assert.equal(gmail.authservId, 'mx.google.com');
    assert.deepEqual(gmail.results.map((r) => [r.method, r.result]), [['dkim', 'pass'], ['spf', 'pass'], ['dmarc', 'pass']]);
    assert.equal(gmail.results[0].props['header.b'], 'AbC/d+e=', 'base64 with padding stays whole');
    assert.equal(gmail.results[0].props['header.i'], '@example.com');
    assert.equal(gmail.results[2].props['header.from'], 'example.com');
    const quoted = parseAuthResults('"mail.example.net" 1; dkim/1 = fail reason="bad (sig)" header.d = example.com (comment (nested)) ; spf=none')!;
    assert.equal(quoted.authservId, 'mail.example.net');
    assert.deepEqual(quoted.results[0], { method: 'dkim', result: 'fail', reason: 'bad (sig)', props: { 'header.d': 'example.com' } });
    assert.equal(quoted.results[1].method, 'spf');
  });

  it('refuses what is not of the shape, and stays linear on hostile input', () => {
    assert.equal(parseAuthResults(''), undefined);
    assert.equal(parseAuthResults('; dkim=pass'), undefined);
    assert.equal(parseAuthResults(`x; ${'('.repeat(100)}`), undefined, 'comments nested too deep');
    const many = parseAuthResults(`mx.test; ${'dkim=pass header.d=a.test; '.repeat(500)}`.slice(0, 16 * 1024))!;
    assert.equal(many.results.length, 64, 'entries are capped');
    assert.equal(parseAuthResults(`mx.test; dkim=pass ${'x'.repeat(20000)}`), undefined, 'fields are bounded');
  });

  it('reads header fields in order, unfolded', () => {
    const raw = 'Authentication-Results: mx.own.test;\r\n dkim=pass header.d=bank.test\r\nReceived: from x\r\nauthentication-results: evil.test; dkim=pass header.d=bank.test\r\n';
    assert.deepEqual(headerValues(raw, 'Authentication-Results'), ['mx.own.test; dkim=pass header.d=bank.test', 'evil.test; dkim=pass header.d=bank.test']);
  });
});

describe('trusting a sender only on the word of the account\'s own server', () => {
  const own = ['mx.own.test'];
  it('DMARC pass or aligned DKIM pass by the own server verifies the From domain', () => {
    assert.deepEqual(checkSender(['mx.own.test; dmarc=pass header.from=bank.test'], own, 'news@bank.test'), { verified: true, authservId: 'mx.own.test', method: 'dmarc' });
    assert.equal(checkSender(['MX.OWN.TEST; dkim=pass header.d=bank.test'], own, 'news@mail.bank.test').verified, true, 'relaxed alignment: a subdomain');
    assert.equal(checkSender(['mx.own.test; dkim=pass header.i=@bank.test'], own, 'news@bank.test').verified, true);
  });

  it('a forged From is not verified: wrong signer, failures, a bare TLD signer', () => {
    assert.equal(checkSender(['mx.own.test; dkim=pass header.d=evil.test'], own, 'ceo@bank.test').verified, false);
    assert.equal(checkSender(['mx.own.test; dkim=fail header.d=bank.test; dmarc=fail header.from=bank.test'], own, 'ceo@bank.test').verified, false);
    assert.equal(checkSender(['mx.own.test; dkim=pass header.d=test'], own, 'ceo@bank.test').verified, false);
    assert.equal(checkSender(['mx.own.test; dmarc=pass header.from=notbank.test'], own, 'ceo@bank.test').verified, false);
  });

  it('fields of other servers are ignored, and only the topmost field of the own server counts', () => {
    assert.deepEqual(checkSender(['evil.test; dmarc=pass header.from=bank.test'], own, 'ceo@bank.test'), { verified: false, reason: 'unknown-server', authservIds: ['evil.test'] });
    // the sender wrote a field with our server's name into the message; our server put its own above it
    const forgedBelow = ['mx.own.test; dkim=none; dmarc=none', 'mx.own.test; dmarc=pass header.from=bank.test'];
    assert.deepEqual(checkSender(forgedBelow, own, 'ceo@bank.test'), { verified: false, reason: 'not-passed', authservIds: ['mx.own.test'] });
    assert.deepEqual(checkSender([], own, 'ceo@bank.test'), { verified: false, reason: 'no-results', authservIds: [] });
    assert.equal(checkSender(['mx.own.test; dmarc=pass header.from=bank.test'], [], 'ceo@bank.test').verified, false, 'no server known: nothing verifies');
  });
});
