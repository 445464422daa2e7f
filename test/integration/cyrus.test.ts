// What only a strict server shows, on Cyrus IMAP 3.6 in both namespace layouts: the connection
// doctor's pass case over TLS and over STARTTLS, the plain port that announces LOGINDISABLED
// (said as such, never as a wrong password, and no password sent), and a wrong password.
// (Dovecot's pass case and its LOGINDISABLED are in doctor.test.ts.)
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { runDoctor } from '../../src/core/doctor';
import { type MailError } from '../../src/core/errors';
import { DEFAULT_USER } from '../support/dovecot';
import { statuses, stepOf } from '../support/doctor';
import { forEachServer, type MailServer } from '../support/servers';
import { clientCommands, testAccount, testSession } from '../support/session';

const PASSWORD = DEFAULT_USER.password;

forEachServer('a Cyrus server', (current) => {
  let server: MailServer;
  before(() => {
    server = current();
  });

  it('passes the connection doctor over TLS, special folders and all', async () => {
    const report = await runDoctor(`imaps://alice@127.0.0.1:${server.imapsPort}`, { password: PASSWORD, ca: [server.ca.pem] });
    assert.equal(report.verdict.status, 'pass', statuses(report));
    assert.match(report.verdict.line, /^PASS: all \d+ checks passed\.$/);
    for (const id of ['imap.dns', 'imap.tcp', 'imap.mode', 'imap.tls', 'imap.greeting', 'imap.capability', 'imap.login', 'imap.extensions', 'imap.mailboxes', 'imap.roundtrip'] as const) {
      assert.equal(stepOf(report, id).status, 'pass', statuses(report));
    }
    assert.match(report.imap!.greeting ?? '', /Cyrus IMAP 3\.6/);
    assert.deepEqual(report.imap!.mailboxes!.missing, []);
    assert.equal(report.imap!.mailboxes!.folders.find((f) => f.name === server.special.sent)?.specialUse?.toLowerCase(), '\\sent');
    assert.match(stepOf(report, 'imap.login').summary, /^Logged in as alice/);
  });

  it('passes the connection doctor over STARTTLS, where LOGINDISABLED comes before TLS', async () => {
    const report = await runDoctor(`imap://alice@127.0.0.1:${server.imapPort}`, { password: PASSWORD, ca: [server.ca.pem] });
    assert.equal(report.verdict.status, 'pass', statuses(report));
    assert.ok(report.imap!.capabilitiesBeforeTls.includes('LOGINDISABLED'), report.imap!.capabilitiesBeforeTls.join(' '));
  });

  it('says LOGINDISABLED, not a wrong password, for "Security: none" on the plain port, and sends no password', async () => {
    const session = testSession(server, { account: testAccount(server, { security: 'none', port: server.imapPort }) });
    const error = await session.connection().then(() => undefined, (err: MailError) => err);
    await session.close();
    assert.equal(error?.code, 'LOGIN_DISABLED', error?.message);
    assert.equal(error?.message, `127.0.0.1:${server.imapPort} refuses passwords on an unencrypted connection (LOGINDISABLED), so the password was not sent. Choose STARTTLS or TLS (port 993) for this account.`);
    const commands = clientCommands(session.logger);
    assert.ok(!commands.some((c) => /LOGIN|AUTHENTICATE/i.test(c)), commands.join('\n'));
    const log = session.logger.lines.join('\n');
    assert.doesNotMatch(log, /using AUTHENTICATE/, 'no second connection when no mechanism takes a password');
    assert.doesNotMatch(log, /\(redacted\)/, 'nothing secret was in the log, so nothing was hidden');
    assert.match(log, /LOGINDISABLED/);
  });

  it('logs in with STARTTLS on the same port', async () => {
    const session = testSession(server, { account: testAccount(server, { security: 'starttls', port: server.imapPort }) });
    const client = await session.connection();
    assert.equal(client.secureConnection, true);
    assert.ok(!client.capabilities.has('STARTTLS'));
    await session.close();
  });

  it('maps a wrong password to AUTH_FAILED, in the server\'s words', async () => {
    const session = testSession(server, { password: 'not the password' });
    const error = await session.connection().then(() => undefined, (err: MailError) => err);
    await session.close();
    assert.equal(error?.code, 'AUTH_FAILED');
    assert.equal(error?.details.serverText, 'Login failed: authentication failure');
    assert.ok(!session.logger.lines.join('\n').includes('not the password'));
  });
}, { kinds: ['cyrus', 'cyrus-classic'] });
