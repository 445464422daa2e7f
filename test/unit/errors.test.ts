import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MailError, toMailError } from '../../src/core/errors';

const at = { host: 'imap.example.test', port: 993 };

describe('error mapping', () => {
  const cases: Array<[unknown, string]> = [
    [{ authenticationFailed: true, message: 'Command failed', responseText: 'Authentication failed.' }, 'AUTH_FAILED'],
    [{ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' }, 'TLS_UNTRUSTED'],
    [{ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', message: 'x' }, 'TLS_UNTRUSTED'],
    [{ code: 'CERT_HAS_EXPIRED', message: 'x' }, 'TLS_EXPIRED'],
    [{ code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: 'x' }, 'TLS_HOSTNAME'],
    [{ code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'wrong version number' }, 'TLS_NOT_TLS'],
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, 'CONNECTION_REFUSED'],
    [{ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND' }, 'HOST_NOT_FOUND'],
    [{ code: 'GREETING_TIMEOUT', message: 'Failed to receive greeting' }, 'TIMEOUT'],
    [{ code: 'ECONNRESET', message: 'read ECONNRESET' }, 'DISCONNECTED'],
    [{ code: 'NoConnection', message: 'Connection not available' }, 'DISCONNECTED'],
    [{ message: 'Command failed', responseStatus: 'NO', responseText: 'Mailbox does not exist' }, 'SERVER_NO'],
    [{ message: 'Server does not support STARTTLS' }, 'STARTTLS_UNAVAILABLE'],
    [{ _err: { code: 'ECONNREFUSED' }, message: 'Failed to setup proxy connection' }, 'CONNECTION_REFUSED'],
  ];
  for (const [input, code] of cases) {
    it(`maps ${JSON.stringify(input).slice(0, 70)} to ${code}`, () => {
      const error = toMailError(input, at);
      assert.equal(error.code, code);
      assert.ok(error.message.length > 10);
    });
  }

  it('keeps the server text as plain data and names the server', () => {
    const error = toMailError({ message: 'Command failed', responseStatus: 'NO', responseText: '[ALERT] [click](command:x)' }, at);
    assert.equal(error.details.serverText, '[ALERT] [click](command:x)');
    assert.match(error.message, /\[click\]\(command:x\)/);
  });

  it('knows which failures need the user', () => {
    assert.equal(new MailError('AUTH_FAILED', 'x').needsUser, true);
    assert.equal(new MailError('TLS_PIN_MISMATCH', 'x').needsUser, true);
    assert.equal(new MailError('TIMEOUT', 'x').needsUser, false);
    assert.equal(new MailError('DISCONNECTED', 'x').needsUser, false);
  });

  it('never puts a password into the message', () => {
    const error = toMailError({ authenticationFailed: true, message: 'Command failed', responseText: 'AUTHENTICATIONFAILED' }, at);
    assert.doesNotMatch(error.message, /pass(word)?\s*[:=]/i);
  });
});
