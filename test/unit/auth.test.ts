// Sign-in decisions that need no server: secret binding, the auth settings, the provider guess,
// refused-token decoding, token claims, the command line, the loopback listener, redaction.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { type AccountConfig, parseAccounts, parseAuth } from '../../src/core/account';
import { imapEndpoint, mainSecretEndpoints, openSecret, sealSecret, smtpEndpoint } from '../../src/core/auth/binding';
import { decodeTokenClaims, redactIdentity } from '../../src/core/auth/claims';
import { commandSource, describeCommand } from '../../src/core/auth/command';
import { parseCommandLine } from '../../src/core/auth/commandLine';
import { openLoopbackRedirect } from '../../src/core/auth/loopback';
import { guessSignIn, microsoftEndpoints, scopesFor } from '../../src/core/auth/providers';
import { decodeSaslFailure } from '../../src/core/auth/saslError';
import { renewalMargin } from '../../src/core/auth/tokens';
import { redact, registerSecret } from '../../src/core/log';

const account: AccountConfig = {
  id: 'work',
  email: 'alice@example.com',
  imap: { host: 'imap.example.com', port: 993, security: 'tls', user: 'alice' },
  smtp: { host: 'smtp.example.com', port: 587, security: 'starttls' },
};

function jwt(payload: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(payload)}.c2lnbmF0dXJl`;
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

describe('secrets are bound to where they may be sent', () => {
  it('opens only for the endpoints it was given for', () => {
    const stored = sealSecret('hunter22', mainSecretEndpoints(account));
    assert.deepEqual(openSecret(stored, [imapEndpoint(account)]), { ok: true, secret: 'hunter22' });
    assert.deepEqual(openSecret(stored, [smtpEndpoint(account)!]), { ok: true, secret: 'hunter22' }, 'SMTP shares the login');
    const moved: AccountConfig = { ...account, imap: { ...account.imap, host: 'imap.attacker.test' } };
    const opened = openSecret(stored, [imapEndpoint(moved)]);
    assert.equal(opened.ok, false, 'another host gets nothing');
    for (const change of [{ port: 143 }, { user: 'bob' }]) {
      assert.equal(openSecret(stored, [imapEndpoint({ ...account, imap: { ...account.imap, ...change } })]).ok, false, JSON.stringify(change));
    }
    assert.equal(openSecret(stored, [smtpEndpoint({ ...account, smtp: { ...account.smtp!, host: 'smtp.attacker.test' } })!]).ok, false, 'another SMTP host gets nothing');
    assert.ok(!stored.includes('imap.attacker.test'));
  });

  it('a separate SMTP password is not bound to SMTP through the IMAP one', () => {
    const separate: AccountConfig = { ...account, smtp: { ...account.smtp!, separatePassword: true } };
    assert.deepEqual(mainSecretEndpoints(separate), [imapEndpoint(separate)]);
  });

  it('reads a secret stored before binding as legacy', () => {
    assert.deepEqual(openSecret('plain old password', [imapEndpoint(account)]), { ok: 'legacy', secret: 'plain old password' });
    assert.deepEqual(openSecret('{"not":"ours"}', [imapEndpoint(account)]), { ok: 'legacy', secret: '{"not":"ours"}' });
  });
});

describe('auth settings', () => {
  it('parses the three methods and refuses what cannot work', () => {
    assert.deepEqual(parseAuth({ method: 'oauth2', provider: 'microsoft', clientId: ' abc ', tenant: 'contoso.onmicrosoft.com', flow: 'device' }), { method: 'oauth2', provider: 'microsoft', clientId: 'abc', tenant: 'contoso.onmicrosoft.com', flow: 'device' });
    assert.deepEqual(parseAuth({ method: 'command', command: ['pass', 'show', 'mail'], output: 'token', timeoutSeconds: 5 }), { method: 'command', command: ['pass', 'show', 'mail'], output: 'token', timeoutSeconds: 5 });
    assert.match(String(parseAuth({ method: 'oauth2', provider: 'generic', clientId: 'x', issuer: 'http://login.example.com' })), /https/, 'plain http only on loopback');
    assert.equal(typeof parseAuth({ method: 'oauth2', provider: 'generic', clientId: 'x', issuer: 'http://127.0.0.1:8080/realms/mail' }), 'object');
    assert.match(String(parseAuth({ method: 'oauth2', provider: 'generic', clientId: 'x', issuer: 'https://user:pw@login.example.com' })), /user name/);
    assert.match(String(parseAuth({ method: 'oauth2', provider: 'google', clientId: 'x', flow: 'vscode' })), /microsoft provider only/);
    assert.match(String(parseAuth({ method: 'oauth2', provider: 'google' })), /clientId/);
    assert.match(String(parseAuth({ method: 'command', command: 'pass show mail' })), /list the program/);
    assert.match(String(parseAuth({ method: 'kerberos' })), /password, oauth2 or command/);
  });

  it('an account with a broken auth is skipped with the reason', () => {
    const { accounts, problems } = parseAccounts([{ id: 'a', email: 'a@b.test', imap: { host: 'h.test', port: 993, security: 'tls', user: 'a' }, auth: { method: 'oauth2', provider: 'google' } }]);
    assert.equal(accounts.length, 0);
    assert.match(problems[0], /clientId is missing/);
  });

  it('scopes come from the preset unless the account names its own', () => {
    assert.deepEqual(scopesFor({ provider: 'microsoft' }), ['https://outlook.office.com/IMAP.AccessAsUser.All', 'https://outlook.office.com/SMTP.Send', 'offline_access']);
    assert.deepEqual(scopesFor({ provider: 'google' }), ['https://mail.google.com/']);
    assert.deepEqual(scopesFor({ provider: 'generic', scopes: ['imap'] }), ['imap']);
    assert.equal(microsoftEndpoints('common').token_endpoint, 'https://login.microsoftonline.com/common/oauth2/v2.0/token');
  });
});

describe('which sign-in an address needs', () => {
  it('by domain, MX records and autoconfig', () => {
    assert.equal(guessSignIn('me@outlook.com').provider, 'microsoft');
    assert.equal(guessSignIn('me@hotmail.co.uk').provider, 'microsoft');
    assert.equal(guessSignIn('me@contoso.onmicrosoft.com').provider, 'microsoft');
    assert.equal(guessSignIn('me@gmail.com').provider, 'google');
    assert.equal(guessSignIn('me@corp.test', ['corp-test.mail.protection.outlook.com.']).provider, 'microsoft');
    assert.equal(guessSignIn('me@corp.test', ['aspmx.l.google.com']).provider, 'google');
    assert.deepEqual(guessSignIn('me@corp.test', [], ['OAuth2']), { method: 'oauth2', provider: 'generic', because: 'the autoconfig of corp.test asks for OAuth2' });
    assert.equal(guessSignIn('me@corp.test', [], ['password-cleartext', 'OAuth2']).method, 'password');
    assert.equal(guessSignIn('me@corp.test', ['mx.corp.test']).method, 'password');
    assert.equal(guessSignIn('me@evil-outlook.com.attacker.test').method, 'password', 'a look-alike domain is not Microsoft');
  });
});

describe('a refused token in plain words', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('expired, wrong scope, wrong user, consent, IMAP disabled', () => {
    assert.equal(decodeSaslFailure({ json: { status: 'invalid_token' }, token: { expiresAt: now - 1000 }, now }).reason, 'expired');
    assert.equal(decodeSaslFailure({ json: { status: 'insufficient_scope', scope: 'imap' }, now }).reason, 'scope');
    assert.equal(decodeSaslFailure({ json: { status: 'invalid_token', scope: 'imap' }, token: { scopes: ['smtp'] }, now }).reason, 'scope');
    assert.equal(decodeSaslFailure({ json: { status: 'invalid_token' }, token: { scopes: ['openid', 'smtp'] }, now }).reason, 'scope');
    assert.equal(decodeSaslFailure({ json: { status: 'invalid_token' }, token: { scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All'] }, now }).reason, 'invalid');
    const bobToken = decodeTokenClaims(jwt({ upn: 'bob@contoso.com', exp: now / 1000 + 600 }))!;
    assert.equal(decodeSaslFailure({ json: { status: 'invalid_token' }, claims: bobToken, user: 'alice@contoso.com', now }).reason, 'user');
    assert.equal(decodeSaslFailure({ json: { status: '400', schemes: 'Bearer', scope: 'https://mail.google.com/' }, now }).reason, 'user');
    assert.equal(decodeSaslFailure({ serverText: 'AUTHENTICATE failed: consent required', now }).reason, 'consent');
    const disabled = decodeSaslFailure({ serverText: 'User is authenticated but not connected.', now });
    assert.equal(disabled.reason, 'disabled');
    assert.match(disabled.advice, /IMAP disabled/);
    assert.match(decodeSaslFailure({ json: { status: 'insufficient_scope', scope: 'imap' }, now }).advice, /lacks the scope the server needs \(imap\)/);
  });
});

describe('token claims', () => {
  it('reads audience, scopes, expiry and redacts the subject; opaque tokens have none', () => {
    const claims = decodeTokenClaims(jwt({ aud: 'https://outlook.office.com', scp: 'IMAP.AccessAsUser.All SMTP.Send', exp: 1767225600, upn: 'alice@contoso.com', tid: 'tenant-id' }))!;
    assert.deepEqual(claims.audience, ['https://outlook.office.com']);
    assert.deepEqual(claims.scopes, ['IMAP.AccessAsUser.All', 'SMTP.Send']);
    assert.equal(claims.expiresAt, 1767225600000);
    assert.equal(claims.subject, 'al…@contoso.com');
    assert.equal(decodeTokenClaims('ya29.opaque-google-token'), undefined);
    assert.equal(decodeTokenClaims('a.%%%.c'), undefined);
    assert.equal(redactIdentity('x@y.z'), 'x…@y.z');
  });
});

describe('credential commands', () => {
  it('a line of words becomes argv; shell syntax is refused', () => {
    assert.deepEqual(parseCommandLine('pass show "mail/work account"'), ['pass', 'show', 'mail/work account']);
    assert.deepEqual(parseCommandLine("op read 'op://Private/Mail/password'"), ['op', 'read', 'op://Private/Mail/password']);
    for (const line of ['pass show x | head -1', 'cat ~/.token > /tmp/x', 'echo $TOKEN', 'a; b', 'a && b', '']) {
      assert.equal(typeof parseCommandLine(line), 'string', line);
    }
    assert.equal(describeCommand(['pass', 'show', 'a b']), "pass show 'a b'");
  });

  it('runs without a shell: metacharacters are arguments, not syntax', async () => {
    const source = commandSource({ command: ['printf', '%s\\n', 'first line; rm -rf /', 'second'], output: 'password' });
    const credential = await source.get();
    assert.deepEqual(credential, { kind: 'password', password: 'first line; rm -rf /' });
  });

  it('caches for a moment and runs again when the server refused', async () => {
    let clock = 0;
    const source = commandSource({ command: ['date', '+%N'], output: 'token' }, { now: () => clock });
    const a = await source.get();
    assert.deepEqual(await source.get(), a, 'cached');
    const renewed = await source.renew!(a);
    assert.ok(renewed && renewed.kind === 'token' && a.kind === 'token' && renewed.accessToken !== a.accessToken, 'renew runs the command again');
    clock = 10 * 60 * 1000;
    assert.notDeepEqual(await source.get(), renewed, 'expired from the cache');
  });
});

describe('the loopback redirect', () => {
  it('takes only the redirect that carries the state, then closes', async () => {
    const loopback = await openLoopbackRedirect('expected-state');
    assert.match(loopback.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const waiting = loopback.wait({ timeoutMs: 10000 });
    assert.equal(await get(loopback.port, '/favicon.ico'), 404);
    assert.equal(await get(loopback.port, '/?code=stolen&state=guessed'), 404, 'a request without our state does not end the sign-in');
    assert.equal(await get(loopback.port, '/?code=abc&state=expected-state'), 200);
    assert.equal((await waiting).searchParams.get('code'), 'abc');
    // closed in the same turn that answered the redirect, before its answer could reach us
    assert.equal(loopback.listening, false, 'closed after the redirect');
    await assert.rejects(get(loopback.port, '/?code=x&state=expected-state'));
  });

  it('closes when the sign-in is cancelled', async () => {
    const loopback = await openLoopbackRedirect('s');
    const abort = new AbortController();
    const waiting = loopback.wait({ timeoutMs: 10000, signal: abort.signal });
    abort.abort();
    await assert.rejects(waiting, /cancelled/);
    assert.equal(loopback.listening, false);
  });
});

describe('renewal and redaction', () => {
  it('renews a minute before expiry, or a fifth of a short lifetime', () => {
    assert.equal(renewalMargin(3600_000), 60_000);
    assert.equal(renewalMargin(5000), 1000);
  });

  it('SASL payloads never reach the log', () => {
    const token = 'ya29.canary-token-value-9f8e7d';
    const payload = Buffer.from(`n,a=alice,\u0001auth=Bearer ${token}\u0001\u0001`).toString('base64');
    assert.equal(redact(`C: A2 AUTHENTICATE OAUTHBEARER ${payload}`), 'C: A2 AUTHENTICATE OAUTHBEARER (redacted)');
    assert.equal(redact(`C: AUTH XOAUTH2 ${payload}`), 'C: AUTH XOAUTH2 (redacted)');
    assert.equal(redact(`[smtp] C: ${payload}`), '[smtp] C: (redacted)');
    registerSecret(token);
    assert.equal(redact(`refresh failed for ${token}`), 'refresh failed for (redacted)');
    assert.equal(redact('S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN AUTH=OAUTHBEARER AUTH=XOAUTH2] ready'), 'S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN AUTH=OAUTHBEARER AUTH=XOAUTH2] ready', 'the mechanism list stays readable');
  });
});
