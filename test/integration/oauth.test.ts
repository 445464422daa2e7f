// OAuth 2.0 sign-in end to end against real components: oidc-provider (a certified OpenID
// provider) on loopback, Dovecot with `passdb { driver = oauth2 }` introspecting its tokens,
// smtp-server for XOAUTH2, and Debian's Chromium (Playwright) on the provider's own login and
// consent pages. Nothing here is a mock: every token is issued, refreshed, revoked and checked by
// the real servers, and the counts come from the provider's and Dovecot's own records.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { type Browser } from 'playwright-core';
import { type OAuthSettings } from '../../src/core/account';
import { commandSource } from '../../src/core/auth/command';
import { tokenSource } from '../../src/core/auth/credentials';
import { createOAuthClient, type OAuthClient, type TokenResult } from '../../src/core/auth/oauth';
import { memoryTokenStore, OAuthTokenSource } from '../../src/core/auth/tokens';
import { sendRaw, verifySmtp } from '../../src/core/compose/smtp';
import { runDoctor } from '../../src/core/doctor';
import { MailError } from '../../src/core/errors';
import { type CredentialSource } from '../../src/core/auth/credentials';
import { MailSession } from '../../src/core/mail/session';
import { memoryPinStore } from '../../src/core/tls';
import { launchChromium } from '../e2e/browser';
import { DEFAULT_USER, type DovecotServer, logCount, startDovecot } from '../support/dovecot';
import { NATIVE_CLIENT_ID, type OidcServer, startOidcProvider } from '../support/oidc';
import { recordingLogger, type RecordingLogger, testAccount } from '../support/session';
import { type SmtpSink, startSmtpSink } from '../support/smtp';

let oidc: OidcServer;
let dovecot: DovecotServer;
let browser: Browser;
/** Every secret the tests saw, for the canary at the end. */
const secrets = new Set<string>();
const loggers: RecordingLogger[] = [];

function settings(scopes = ['openid', 'offline_access', 'imap', 'smtp']): OAuthSettings {
  return { method: 'oauth2', provider: 'generic', issuer: oidc.issuer, clientId: NATIVE_CLIENT_ID, scopes };
}

function keep(tokens: TokenResult): TokenResult {
  secrets.add(tokens.accessToken);
  if (tokens.refreshToken) {
    secrets.add(tokens.refreshToken);
  }
  return tokens;
}

/** Logs in on the provider's development login page, then allows access on its consent page. */
async function loginAndConsent(url: string): Promise<void> {
  const page = await browser.newPage();
  await page.goto(url);
  await page.fill('input[name=login]', DEFAULT_USER.name);
  await page.fill('input[name=password]', 'any password: the test provider checks none');
  await page.click('button[type=submit]');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText(/Signed in|Sign-in Success/).waitFor();
  await page.close();
}

async function browserSignIn(oauth: OAuthClient): Promise<{ tokens: TokenResult; redirectUri: string }> {
  let redirectUri = '';
  let driving: Promise<void> = Promise.resolve();
  const tokens = await oauth.signInWithBrowser({
    openBrowser: async (url) => {
      redirectUri = new URL(url).searchParams.get('redirect_uri') ?? '';
      driving = loginAndConsent(url);
      return true;
    },
  });
  await driving;
  return { tokens: keep(tokens), redirectUri };
}

function session(credentials: CredentialSource, server = dovecot, logger = recordingLogger()): MailSession & { logger: RecordingLogger } {
  loggers.push(logger);
  const s = new MailSession({ account: testAccount(server), credentials, pins: memoryPinStore(), logger, extraCa: server.ca ? [server.ca.pem] : undefined });
  return Object.assign(s, { logger });
}

async function login(credentials: CredentialSource, server = dovecot): Promise<RecordingLogger> {
  const s = session(credentials, server);
  try {
    await s.connection();
  } finally {
    await s.close();
  }
  return s.logger;
}

const loginsBy = (mechanism: string) => new RegExp(`imap-login: Info: Login: user=<alice>, method=${mechanism}`);
const FAILED_LOGIN = /imap-login: Info: Disconnected[^\n]*auth failed, \d+ attempts[^\n]*method=OAUTHBEARER/;

/** Runs the built command line (dist/cli.js, as `npx imap-explorer` does). */
function runCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(__dirname, '..', '..', 'dist', 'cli.js'), ...args], { env: { ...process.env, IMAP_PASSWORD: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function waitUntil(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms - Date.now()) + 250));
}

describe('OAuth 2.0 sign-in against oidc-provider and Dovecot', { timeout: 5 * 60 * 1000 }, () => {
  let refreshStore: ReturnType<typeof memoryTokenStore>;

  before(async () => {
    oidc = await startOidcProvider();
    dovecot = await startDovecot({ oauth2: { introspectionUrl: oidc.introspectionUrl } });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await dovecot?.stop();
    await oidc?.close();
  });

  it('authorization code with PKCE in the browser, then IMAP logs in with OAUTHBEARER', async () => {
    const oauth = createOAuthClient({ settings: settings() });
    const { tokens, redirectUri } = await browserSignIn(oauth);
    assert.ok(tokens.refreshToken, 'a refresh token was issued');
    assert.deepEqual(tokens.scopes?.sort(), ['imap', 'smtp']);
    assert.match(redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    // the loopback port is open only during the sign-in
    const port = Number(new URL(redirectUri).port);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.on('error', () => resolve(true));
    });
    assert.ok(refused, 'nothing listens on the redirect port after the sign-in');

    refreshStore = memoryTokenStore();
    const source = new OAuthTokenSource({ client: oauth, store: refreshStore, logger: recordingLogger(), label: 'alice' });
    await source.accept(tokens);
    assert.equal(refreshStore.value, tokens.refreshToken, 'the refresh token is kept in the token store');
    const before = await logCount(dovecot, loginsBy('OAUTHBEARER'), 0);
    const logger = await login(source);
    assert.equal(await logCount(dovecot, loginsBy('OAUTHBEARER'), before + 1), before + 1);
    assert.ok(logger.lines.some((l) => /AUTHENTICATE OAUTHBEARER/.test(l)), 'the protocol log shows the mechanism');
  });

  it('SMTP logs in with XOAUTH2 and smtp-server sees the token', async () => {
    // through a token source, so the rotated refresh token is kept (reusing a rotated one revokes the grant)
    const source = new OAuthTokenSource({ client: createOAuthClient({ settings: settings() }), store: refreshStore, logger: recordingLogger(), label: 'alice' });
    const credential = await source.get();
    assert.equal(credential.kind, 'token');
    const token = credential.kind === 'token' ? credential.accessToken : '';
    secrets.add(token);
    secrets.add(refreshStore.value!);
    const seen: Array<{ method: string; user: string; accessToken?: string }> = [];
    const sink: SmtpSink = await startSmtpSink({
      authMethods: ['XOAUTH2'],
      onAuth(auth, _session, callback) {
        seen.push({ method: auth.method, user: auth.username ?? '', ...(auth.accessToken ? { accessToken: auth.accessToken } : {}) });
        callback(null, { user: auth.username });
      },
      authOptional: false,
    });
    try {
      const logger = recordingLogger();
      loggers.push(logger);
      const smtp = { host: '127.0.0.1', port: sink.port, security: 'none' as const, user: DEFAULT_USER.name, accessToken: token };
      await verifySmtp(smtp, logger);
      await sendRaw(smtp, { from: 'alice@example.test', to: ['bob@example.test'] }, Buffer.from('Subject: token\r\n\r\nsent with a token\r\n'), logger);
      assert.equal(sink.received.length, 1);
      assert.deepEqual(seen[0], { method: 'XOAUTH2', user: DEFAULT_USER.name, accessToken: token });
    } finally {
      await sink.close();
    }
  });

  it('IMAP falls back to XOAUTH2 when the server offers no OAUTHBEARER', async () => {
    await dovecot.restart({ oauth2: { introspectionUrl: oidc.introspectionUrl, mechanisms: ['xoauth2'] } });
    try {
      const before = await logCount(dovecot, loginsBy('XOAUTH2'), 0);
      const source = new OAuthTokenSource({ client: createOAuthClient({ settings: settings() }), store: refreshStore, logger: recordingLogger(), label: 'alice' });
      const logger = await login(source);
      assert.equal(await logCount(dovecot, loginsBy('XOAUTH2'), before + 1), before + 1);
      assert.ok(logger.lines.some((l) => /AUTHENTICATE XOAUTH2/.test(l)));
    } finally {
      await dovecot.restart({ oauth2: { introspectionUrl: oidc.introspectionUrl } });
    }
  });

  it('the device-code flow completes on the provider\'s pages', async () => {
    const oauth = createOAuthClient({ settings: settings() });
    let shown: { userCode: string; verificationUri: string; verificationUriComplete?: string } | undefined;
    let driving: Promise<void> = Promise.resolve();
    const tokens = keep(
      await oauth.signInWithDeviceCode({
        show: (code) => {
          shown = code;
          driving = (async () => {
            const page = await browser.newPage();
            await page.goto(code.verificationUri);
            await page.fill('input[name=user_code]', code.userCode);
            await page.click('button[type=submit]');
            await page.getByRole('button', { name: 'Continue' }).click();
            await page.fill('input[name=login]', DEFAULT_USER.name);
            await page.fill('input[name=password]', 'any');
            await page.click('button[type=submit]');
            await page.getByRole('button', { name: 'Continue' }).click();
            await page.getByText(/Sign-in Success/i).waitFor();
            await page.close();
          })();
        },
      }),
    );
    await driving;
    assert.ok(shown?.userCode && shown.verificationUri.startsWith(oidc.issuer), 'the code and its URL were shown');
    assert.ok(tokens.refreshToken);
    await login(tokenSource(async () => tokens.accessToken));
  });

  it('a token that lives 5 seconds is renewed before use with exactly one refresh, shared by two connections', async () => {
    oidc.setAccessTokenTtl(5);
    try {
      const source = new OAuthTokenSource({ client: createOAuthClient({ settings: settings() }), store: refreshStore, logger: recordingLogger(), label: 'alice' });
      await login(source);
      const info = source.tokenInfo();
      assert.ok(info?.expiresAt && info.expiresAt - Date.now() <= 5000, 'the provider issued a 5-second token');
      await waitUntil(info.expiresAt!);
      const refreshesBefore = oidc.counts.success.refresh_token ?? 0;
      const failuresBefore = await logCount(dovecot, FAILED_LOGIN, 0);
      const successBefore = await logCount(dovecot, loginsBy('OAUTHBEARER'), 0);
      // two connections at once (the main one and a watcher) need a token: one refresh serves both
      await Promise.all([login(source), login(source)]);
      assert.equal((oidc.counts.success.refresh_token ?? 0) - refreshesBefore, 1, 'exactly one refresh request at the provider');
      assert.equal(await logCount(dovecot, loginsBy('OAUTHBEARER'), successBefore + 2), successBefore + 2);
      assert.equal(await logCount(dovecot, FAILED_LOGIN, failuresBefore), failuresBefore, 'no login was refused');
      for (const t of [refreshStore.value]) {
        secrets.add(t!);
      }
    } finally {
      oidc.setAccessTokenTtl(3600);
    }
  });

  it('AUTHENTICATIONFAILED with an expired token refreshes once and retries once', async () => {
    oidc.setAccessTokenTtl(5);
    // a clock that stands still: the source believes its token is still good after it expired at
    // the server (a laptop waking from sleep, a clock that is off)
    const frozen = Date.now();
    const logger = recordingLogger();
    const source = new OAuthTokenSource({ client: createOAuthClient({ settings: settings(), now: () => frozen }), store: refreshStore, logger, label: 'alice', now: () => frozen });
    try {
      await login(source);
      // The source dates its token from the frozen clock (frozen + 5 s), but the provider issued it
      // during the login, up to its whole duration later (seconds on a loaded machine), and counts
      // the 5 s from then (exp = issue second + 5). It has surely expired 5 s after the login ended.
      await waitUntil(Date.now() + 5000);
      oidc.setAccessTokenTtl(3600);
      const refreshesBefore = oidc.counts.success.refresh_token ?? 0;
      const failuresBefore = await logCount(dovecot, FAILED_LOGIN, 0);
      const s = session(source);
      try {
        await s.connection();
      } finally {
        await s.close();
      }
      assert.equal((oidc.counts.success.refresh_token ?? 0) - refreshesBefore, 1, 'one refresh after the refusal');
      assert.equal(await logCount(dovecot, FAILED_LOGIN, failuresBefore + 1), failuresBefore + 1, 'exactly one refused login');
      assert.ok(s.logger.lines.some((l) => /retrying once with a renewed one/.test(l)));
    } finally {
      oidc.setAccessTokenTtl(3600);
    }
  });

  it('a token without the IMAP scope is refused and explained, by the session and by the doctor', async () => {
    await dovecot.restart({ oauth2: { introspectionUrl: oidc.introspectionUrl, scope: 'imap' } });
    try {
      // RFC 6749 6: a refresh may ask for fewer scopes than were granted
      const cfg = await client.discovery(new URL(oidc.issuer), NATIVE_CLIENT_ID, {}, client.None(), { execute: [client.allowInsecureRequests] });
      const narrow = await client.refreshTokenGrant(cfg, refreshStore.value!, { scope: 'smtp' });
      secrets.add(narrow.access_token);
      if (narrow.refresh_token) {
        refreshStore.value = narrow.refresh_token;
        secrets.add(narrow.refresh_token);
      }
      assert.equal(narrow.scope, 'smtp');
      const scoped: CredentialSource = { get: async () => ({ kind: 'token', accessToken: narrow.access_token }), tokenInfo: () => ({ scopes: ['smtp'] }) };
      const s = session(scoped);
      const error = await s.connection().then(
        () => undefined,
        (err: unknown) => err,
      );
      await s.close();
      assert.ok(error instanceof MailError, 'the login failed');
      assert.equal(error.code, 'TOKEN_REJECTED');
      assert.equal(error.details.sasl?.reason, 'scope', `decoded as a scope problem: ${JSON.stringify(error.details.sasl)}`);
      assert.match(error.message, /lacks the scope/);

      const report = await runDoctor({ host: dovecot.host, port: dovecot.imapsPort, security: 'tls', user: DEFAULT_USER.name }, { accessToken: narrow.access_token, tokenScopes: ['smtp'], ca: [dovecot.ca!.pem] });
      const loginStep = report.steps.find((st) => st.id === 'imap.login');
      assert.equal(loginStep?.status, 'fail');
      assert.match(loginStep?.summary ?? '', /lacks the scope the server needs/);
      assert.match(loginStep?.fix ?? '', /Add it to the account's scopes/);
      assert.equal(report.steps.find((st) => st.id === 'auth.token')?.status, 'warn');
      assert.match(report.steps.find((st) => st.id === 'auth.token')?.summary ?? '', /lacks the IMAP scope/);
      assert.equal(report.steps.find((st) => st.id === 'imap.sasl')?.status, 'pass');
      assert.match(report.steps.find((st) => st.id === 'imap.sasl')?.summary ?? '', /OAUTHBEARER/);
      assert.ok(!JSON.stringify(report).includes(narrow.access_token), 'the report never holds the token');
    } finally {
      await dovecot.restart({ oauth2: { introspectionUrl: oidc.introspectionUrl } });
    }
  });

  it('a revoked refresh token ends in SIGN_IN_REQUIRED after exactly one failed attempt, and nothing loops', async () => {
    const logger = recordingLogger();
    const source = new OAuthTokenSource({ client: createOAuthClient({ settings: settings() }), store: refreshStore, logger, label: 'alice' });
    await login(source);
    await oidc.revoke(refreshStore.value!);
    // the access token in memory is gone too (a restart of VS Code): the next login needs a refresh
    source.forget();
    const errorsBefore = oidc.counts.error.refresh_token ?? 0;
    const s = session(source);
    const first = await s.connection().then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(first instanceof MailError);
    assert.equal(first.code, 'SIGN_IN_REQUIRED');
    assert.ok(first.needsUser, 'the session stops: only the user signing in again helps');
    assert.equal((oidc.counts.error.refresh_token ?? 0) - errorsBefore, 1, 'exactly one refused refresh');
    assert.equal(refreshStore.value, undefined, 'the dead refresh token is deleted');
    // more work on the account asks the provider nothing more
    await assert.rejects(s.connection(), (err: unknown) => err instanceof MailError && err.code === 'SIGN_IN_REQUIRED');
    await assert.rejects(login(source), (err: unknown) => err instanceof MailError && err.code === 'SIGN_IN_REQUIRED');
    await s.close();
    assert.equal((oidc.counts.error.refresh_token ?? 0) - errorsBefore, 1, 'still exactly one: no loop');
  });

  it('removing an account revokes its refresh token at the provider', async () => {
    const oauth = createOAuthClient({ settings: settings() });
    const { tokens } = await browserSignIn(oauth);
    const before = oidc.counts.revocations;
    assert.equal(await oauth.revoke(tokens.refreshToken!, 'refresh_token'), true, 'the provider offers RFC 7009 revocation');
    assert.equal(oidc.counts.revocations - before, 1);
    await assert.rejects(oauth.refresh(tokens.refreshToken!), (err: unknown) => err instanceof MailError && err.code === 'SIGN_IN_REQUIRED', 'the revoked token is dead at the provider');
  });

  it('credential commands: success, non-zero exit with its stderr, timeout', async () => {
    const oauth = createOAuthClient({ settings: settings() });
    const { tokens } = await browserSignIn(oauth);
    const dir = mkdtempSync(join(tmpdir(), 'imapx-token-'));
    const file = join(dir, 'token');
    writeFileSync(file, `${tokens.accessToken}\n`, { mode: 0o600 });
    const before = await logCount(dovecot, loginsBy('OAUTHBEARER'), 0);
    await login(commandSource({ command: ['cat', file], output: 'token' }));
    assert.equal(await logCount(dovecot, loginsBy('OAUTHBEARER'), before + 1), before + 1, 'the token the command printed logged in');

    const failing = session(commandSource({ command: ['sh', '-c', 'echo "gpg: decryption failed: No secret key" >&2; exit 2'], output: 'password' }));
    await assert.rejects(failing.connection(), (err: unknown) => {
      assert.ok(err instanceof MailError);
      assert.equal(err.code, 'COMMAND_FAILED');
      assert.match(err.message, /exit status 2/);
      assert.match(err.message, /gpg: decryption failed: No secret key/, 'its stderr is shown');
      return true;
    });
    await failing.close();

    const slow = session(commandSource({ command: ['sleep', '30'], output: 'password', timeoutSeconds: 1 }));
    await assert.rejects(slow.connection(), (err: unknown) => err instanceof MailError && err.code === 'COMMAND_FAILED' && /did not finish within 1 s/.test(err.message));
    await slow.close();

    const missing = session(commandSource({ command: ['/nonexistent/pass', 'show', 'mail'], output: 'password' }));
    await assert.rejects(missing.connection(), (err: unknown) => err instanceof MailError && /could not start: the program was not found/.test(err.message));
    await missing.close();

    // the command line takes the same command (dist/cli.js, built by npm test)
    // not spawnSync: the provider that Dovecot asks about the token runs in this process
    const cli = await runCli(['check', `imaps://${DEFAULT_USER.name}@localhost:${dovecot.imapsPort}`, '--oauth-token-cmd', `cat '${file}'`, '--ca', join(dovecot.dir, 'ssl', 'ca.pem'), '--json']);
    const failedSteps = cli.stdout ? (JSON.parse(cli.stdout) as { steps: Array<{ status: string }> }).steps.filter((st) => st.status === 'fail') : [];
    assert.equal(cli.status, 0, `${cli.stderr} ${JSON.stringify(failedSteps)}`);
    const report = JSON.parse(cli.stdout) as { steps: Array<{ id: string; status: string; summary: string }> };
    assert.match(report.steps.find((st) => st.id === 'imap.login')!.summary, /with the OAuth 2\.0 token \(AUTHENTICATE OAUTHBEARER\)/);
    assert.equal(report.steps.find((st) => st.id === 'auth.token')!.status, 'pass');
    assert.ok(!cli.stdout.includes(tokens.accessToken), 'the report never holds the token');
    const failed = await runCli(['check', `imaps://${DEFAULT_USER.name}@localhost:${dovecot.imapsPort}`, '--oauth-token-cmd', 'false']);
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /The sign-in command "false" failed \(exit status 1\)/);
  });

  it('canary: no token or refresh token reached any log line, at any level', () => {
    assert.ok(secrets.size >= 6, `the tests saw tokens (${secrets.size})`);
    const lines = loggers.flatMap((l) => l.lines);
    assert.ok(lines.length > 50, 'the protocol was logged at trace level');
    for (const secret of secrets) {
      const leaks = lines.filter((line) => line.includes(secret) || line.includes(Buffer.from(`auth=Bearer ${secret}`).toString('base64').slice(8, 40)));
      assert.deepEqual(leaks, [], 'a secret appeared in the log');
    }
    const dovecotLog = readFileSync(join(dovecot.dir, 'dovecot.log'), 'utf8');
    assert.ok(dovecotLog.includes('method=OAUTHBEARER'));
  });
});
