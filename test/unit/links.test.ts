// Links from mail: refused when they hide their host, shown exactly as VS Code will open them, and
// called out when their text names another host, also through look-alikes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkLink, deceptiveLink, hostNamedByText, vscodeOpens } from '../../src/core/render/links';

describe('links', () => {
  it('computes what VS Code opens: it decodes %2F in the authority, so the case of the review opens loopback', () => {
    assert.equal(vscodeOpens('http://127.0.0.1:8080%2F@github.com/login'), 'http://127.0.0.1:8080/@github.com/login');
    assert.equal(vscodeOpens('https://example.test/a%20b?q=1#x'), 'https://example.test/a%20b?q=1#x');
  });

  it('refuses targets with a user name or password, and those whose host changes on the way', () => {
    assert.deepEqual(checkLink('http://127.0.0.1:8080%2F@github.com/login'), { ok: false, reason: 'userinfo' });
    assert.deepEqual(checkLink('https://evil.example%2F@github.com/login'), { ok: false, reason: 'userinfo' });
    assert.deepEqual(checkLink('http://github.com:login@evil.test/'), { ok: false, reason: 'userinfo' });
    assert.deepEqual(checkLink('javascript:alert(1)'), { ok: false, reason: 'scheme' });
    assert.deepEqual(checkLink('command:workbench.action.terminal.new'), { ok: false, reason: 'scheme' });
    // the WHATWG parser reads "\" as "/": the host is github.com and stays github.com in VS Code
    const backslash = checkLink('http://github.com\\@evil.test/x');
    assert.ok(backslash.ok && backslash.host === 'github.com' && backslash.opens === 'http://github.com/@evil.test/x', JSON.stringify(backslash));
  });

  it('shows IDN hosts in punycode next to Unicode, and notes letters that imitate Latin ones', () => {
    const homograph = checkLink('https://g\u0456thub.com/login');
    assert.ok(homograph.ok);
    assert.equal(homograph.host, 'xn--gthub-n2e.com');
    assert.equal(homograph.hostUnicode, 'g\u0456thub.com');
    assert.equal(homograph.confusableHost, true);
    assert.equal(homograph.opens, 'https://xn--gthub-n2e.com/login');
    const german = checkLink('https://m\u00fcnchen.de/');
    assert.ok(german.ok && german.hostUnicode === 'm\u00fcnchen.de' && german.confusableHost === false);
    const plain = checkLink('https://github.com/x');
    assert.ok(plain.ok && plain.hostUnicode === undefined && !plain.confusableHost);
  });

  it('reads the host a link text names past invisible characters, trailing dots and full-width letters', () => {
    assert.equal(hostNamedByText('https://git\u200bhub.com/login'), 'github.com');
    assert.equal(hostNamedByText('github.com.'), 'github.com');
    assert.equal(hostNamedByText('\uff47\uff49\uff54\uff48\uff55\uff42.com'), 'github.com');
    assert.equal(hostNamedByText('\u202egithub.com'), 'github.com');
    assert.equal(hostNamedByText('Click here'), undefined);
    assert.equal(hostNamedByText('docs'), undefined);
    assert.equal(hostNamedByText('version 1.2'), undefined);
  });

  it('calls out a text that names another host, a look-alike, or hides text', () => {
    assert.equal(deceptiveLink('https://github.com/login', 'http://evil.test/phish'), 'other-host');
    assert.equal(deceptiveLink('https://git\u200bhub.com/login', 'http://evil.test/'), 'other-host');
    assert.equal(deceptiveLink('github.com.', 'http://evil.test/'), 'other-host');
    assert.equal(deceptiveLink('g\u0456thub.com', 'https://evil.test/'), 'other-host');
    assert.equal(deceptiveLink('github.com', 'https://g\u0456thub.com/'), 'look-alike');
    assert.equal(deceptiveLink('paypal.com', 'https://p\u0430ypal.com/'), 'look-alike');
    assert.equal(deceptiveLink('anything', 'https://example.test/', true), 'hidden-text');
    assert.equal(deceptiveLink('bob@evil.test', 'mailto:alice@good.test'), 'other-host');
    // honest links
    assert.equal(deceptiveLink('github.com', 'https://github.com/x'), undefined);
    assert.equal(deceptiveLink('www.example.com', 'https://example.com/'), undefined);
    assert.equal(deceptiveLink('example.com', 'https://docs.example.com/'), undefined);
    assert.equal(deceptiveLink('github.com.', 'https://github.com/'), undefined);
    assert.equal(deceptiveLink('https://git\u200bhub.com', 'https://github.com/'), undefined);
    assert.equal(deceptiveLink('Click here', 'https://evil.test/'), undefined);
    assert.equal(deceptiveLink('alice@good.test', 'mailto:alice@good.test'), undefined);
  });
});
