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
    [{ message: 'Command failed', responseStatus: 'NO', responseText: 'Mailbox does not exist' }, 'NOT_FOUND'],
    [{ message: 'Command failed', responseStatus: 'NO', responseText: 'Over quota' }, 'SERVER_NO'],
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

describe('server refusals, told by what the server said', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['imapflow refusing LOGIN after LOGINDISABLED (Cyrus before STARTTLS)', { authenticationFailed: true, message: 'Login is disabled' }, 'LOGIN_DISABLED', /refuses passwords on an unencrypted connection \(LOGINDISABLED\).*STARTTLS or TLS/],
    ['Cyrus answering a cleartext LOGIN', { authenticationFailed: true, message: 'Command failed', responseStatus: 'NO', responseText: 'Login only available under a layer' }, 'LOGIN_DISABLED', /LOGINDISABLED/],
    ['Dovecot PRIVACYREQUIRED', { authenticationFailed: true, message: 'Command failed', responseStatus: 'NO', serverResponseCode: 'PRIVACYREQUIRED', responseText: 'Plaintext authentication disallowed on non-secure (SSL/TLS) connections.' }, 'LOGIN_DISABLED', /unencrypted/],
    ['Cyrus wrong password', { authenticationFailed: true, message: 'Command failed', responseStatus: 'NO', responseText: 'Login failed: authentication failure' }, 'AUTH_FAILED', /password was not accepted/],
    ['Dovecot ALREADYEXISTS', { message: 'Command failed', responseStatus: 'NO', serverResponseCode: 'ALREADYEXISTS', responseText: 'Mailbox already exists (0.001 + 0.000 secs).' }, 'ALREADY_EXISTS', /^A folder named "Projects \/ Q4" already exists\.$/],
    ['Cyrus "Mailbox already exists" without a code', { message: 'Command failed', responseStatus: 'NO', responseText: 'Mailbox already exists' }, 'ALREADY_EXISTS', /^A folder named "Projects \/ Q4" already exists\.$/],
    ['Cyrus HASCHILDREN', { message: 'Command failed', responseStatus: 'NO', serverResponseCode: 'HASCHILDREN', responseText: 'Mailbox has inferior hierarchical names' }, 'FOLDER_HAS_CHILDREN', /does not delete "Projects \/ Q4" while it has subfolders/],
    ['Cyrus special-use folder', { message: 'Command failed', responseStatus: 'NO', responseText: 'SPECIAL-USE flag conflict' }, 'FOLDER_PROTECTED', /keeps "Projects \/ Q4" as one of the account's special folders .* does not allow to delete it\.$/],
    ['Dovecot NONEXISTENT', { message: 'Command failed', responseStatus: 'NO', serverResponseCode: 'NONEXISTENT', responseText: "Mailbox doesn't exist: Q4" }, 'NOT_FOUND', /^The folder "Projects \/ Q4" does not exist on the server\.$/],
    ['Cyrus TRYCREATE on APPEND', { message: 'Command failed', responseStatus: 'NO', serverResponseCode: 'TRYCREATE', responseText: 'Mailbox does not exist' }, 'NOT_FOUND', /does not exist/],
    ['another refusal keeps the server words', { message: 'Command failed', responseStatus: 'NO', responseText: 'Message contains bare newlines' }, 'SERVER_NO', /^The server refused: Message contains bare newlines$/],
  ];
  for (const [label, input, code, sentence] of cases) {
    it(`maps ${label} to ${code}`, () => {
      const error = toMailError(input, { ...at, folder: 'Projects / Q4', action: 'delete' });
      assert.equal(error.code, code);
      assert.match(error.message, sentence);
      assert.doesNotMatch(error.message, /undefined/);
    });
  }

  it('keeps the server text and its response code as details', () => {
    const error = toMailError({ message: 'Command failed', responseStatus: 'NO', serverResponseCode: 'HASCHILDREN', responseText: 'Mailbox has inferior hierarchical names' }, at);
    assert.deepEqual(error.details, { host: 'imap.example.test', port: 993, serverText: 'Mailbox has inferior hierarchical names', responseCode: 'HASCHILDREN' });
    assert.equal(toMailError({ message: 'Command failed', responseStatus: 'NO', responseText: 'Mailbox already exists' }, { action: 'rename', folder: 'Q5' }).message, 'A folder named "Q5" already exists: choose another name.');
  });

  it('does not read words of errors the server did not send', () => {
    assert.equal(toMailError({ code: 'EEXIST', message: 'EEXIST: file already exists' }, at).code, 'UNKNOWN');
    assert.equal(toMailError({ message: 'Login is disabled' }, at).code, 'UNKNOWN');
  });
});
