import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { demoBanner } from '../demo/banner';

describe('the demo banner', () => {
  it('gives the address and the IMAP login: user, password, host and port', () => {
    const text = demoBanner({ url: 'http://127.0.0.1:8080/?folder=/tmp/w', email: 'triage@demo.test', user: 'triage', password: 'demo-password-2026', host: '127.0.0.1', imapsPort: 40993, smtpPort: 40587, remoteOrigin: 'http://127.0.0.1:40080' });
    assert.match(text, /Open VS Code: {2}http:\/\/127\.0\.0\.1:8080\/\?folder=\/tmp\/w$/m);
    assert.match(text, /IMAP login: {4}user triage, password demo-password-2026$/m);
    assert.match(text, /IMAP server: {3}127\.0\.0\.1:40993 \(TLS/);
    assert.match(text, /a1 LOGIN triage demo-password-2026$/m);
    assert.match(text, /SMTP sink: {5}127\.0\.0\.1:40587/);
  });
});
