// The connection doctor against real servers, one diagnosis per test: Dovecot with good, self-signed,
// expired and wrong-host certificates, on the wrong ports, with LOGINDISABLED; smtp-server on
// STARTTLS and TLS; a scripted server without STARTTLS; an HTTP server; dnsmasq and an HTTPS
// server for discovery. Each test asserts what the report says, not only that there is one.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTlsServer } from 'node:tls';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type DoctorReport, dnsServerResolver, httpsFetcher, reportToJson, reportToMarkdown, reportToText, runDoctor } from '../../src/core/doctor';
import { type DoctorCertificates, doctorCertificates, opensslFingerprint, statuses, stepOf } from '../support/doctor';
import { DEFAULT_USER, type DovecotServer, logCount, startDovecot } from '../support/dovecot';
import { startDnsmasq, type DnsServer } from '../support/dns';
import { injectingStarttlsServer, noStarttlsServer, refusingTlsServer, silentServer } from '../support/fakeImap';
import { startHttpsFileServer, type FileServer } from '../support/https';
import { freePort } from '../support/net';
import { saveMessage } from '../support/seed';
import { startSmtpSink, type SmtpSink } from '../support/smtp';
import { type SMTPServerOptions } from 'smtp-server';

const PASSWORD = DEFAULT_USER.password;
const EMAIL_USER = { name: 'alice@example.test', password: PASSWORD };
const SECRET_SUBJECT = 'Board numbers nobody else may read';
const FAST = { greeting: 1500, tls: 3000, connect: 3000, command: 5000, discovery: 2000 };

let certs: DoctorCertificates;
let server: DovecotServer;

function message(subject: string): Buffer {
  return Buffer.from(`From: Dana <dana@reporter.test>\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nDate: Fri, 20 Nov 2026 09:00:00 +0000\r\nMessage-ID: <${Math.random()}@reporter.test>\r\n\r\nHello.\r\n`);
}

/** Whatever way the report is read, the password is not in it. */
function assertNoSecret(report: DoctorReport, ...secrets: string[]): void {
  for (const text of [reportToJson(report), reportToMarkdown(report), reportToText(report, { transcript: true })]) {
    for (const secret of secrets) {
      assert.ok(!text.includes(secret), `"${secret}" leaked into the report`);
    }
  }
}

function clientLines(report: DoctorReport, protocol: 'imap' | 'smtp' = 'imap'): string[] {
  return report.transcript.filter((l) => l.protocol === protocol && l.dir === 'C').map((l) => l.text);
}

describe('connection doctor', () => {
  before(async () => {
    certs = doctorCertificates();
    server = await startDovecot({ users: [DEFAULT_USER, EMAIL_USER], certificateFiles: { cert: certs.good, ca: certs.ca } });
    saveMessage(server, DEFAULT_USER.name, 'INBOX', message('Welcome'), ['\\Seen']);
    saveMessage(server, DEFAULT_USER.name, 'INBOX', message(SECRET_SUBJECT));
  });
  after(async () => {
    await server?.stop();
    rmSync(certs.dir, { recursive: true, force: true });
  });

  it('passes a server whose certificate comes from a CA the client trusts, and describes the account', async () => {
    const report = await runDoctor(`imaps://alice@127.0.0.1:${server.imapsPort}`, { password: PASSWORD, ca: [certs.ca.pem], caFile: certs.ca.cert });
    assert.equal(report.verdict.status, 'pass', statuses(report));
    assert.match(report.verdict.line, /^PASS: all 11 checks passed\.$/);
    for (const id of ['imap.dns', 'imap.tcp', 'imap.mode', 'imap.tls', 'imap.greeting', 'imap.capability', 'imap.login', 'imap.extensions', 'imap.mailboxes', 'imap.roundtrip'] as const) {
      assert.equal(stepOf(report, id).status, 'pass', statuses(report));
    }
    assert.equal(stepOf(report, 'discovery').status, 'skip');

    const tls = report.imap!.tls!;
    assert.equal(tls.trust, 'ca');
    assert.equal(tls.hostMatches, true);
    assert.equal(tls.certificate.selfSigned, false);
    assert.equal(tls.certificate.sha256, opensslFingerprint(certs.good.cert));
    assert.match(tls.certificate.issuer, /Test CA doctor-ca/);
    assert.ok(tls.certificate.sans.includes('IP:127.0.0.1'), tls.certificate.sans.join());
    assert.ok(tls.certificate.daysToExpiry >= 363 && tls.certificate.daysToExpiry <= 365, String(tls.certificate.daysToExpiry));
    assert.match(tls.protocol, /^TLSv1\.[23]$/);
    assert.equal(tls.verifyError, null);
    assert.match(stepOf(report, 'imap.tls').summary, /trusted: its chain leads to a certificate authority/);

    assert.equal(report.imap!.serverId?.name, 'Dovecot');
    assert.ok(report.imap!.authMechanisms.includes('PLAIN'));
    assert.match(stepOf(report, 'imap.login').summary, /^Logged in as alice \(AUTHENTICATE PLAIN\)/);
    const idle = report.imap!.capabilitiesAfterLogin.find((c) => c.name === 'IDLE');
    assert.deepEqual(idle, { name: 'IDLE', present: true, meaning: 'Push: new mail shows up at once, without polling (RFC 2177).' });
    assert.equal(report.imap!.capabilitiesAfterLogin.find((c) => c.name === 'COMPRESS')?.present, false);

    const mailboxes = report.imap!.mailboxes!;
    assert.deepEqual(mailboxes.missing, []);
    assert.equal(mailboxes.folders.find((f) => f.name === 'Sent')?.specialUse, '\\Sent');
    assert.equal(mailboxes.folders.find((f) => f.name === 'INBOX')?.specialUse, '\\Inbox');
    assert.equal(mailboxes.inbox?.messages, 2);
    assert.equal(mailboxes.inbox?.unseen, 1);
    assert.ok((mailboxes.inbox?.uidValidity ?? 0) > 0);
    assert.match(mailboxes.inbox?.highestModseq ?? '', /^\d+$/);
    assert.equal(typeof report.imap!.roundTrip?.noopMs, 'number');
    assert.equal(typeof report.imap!.roundTrip?.envelopeMs, 'number');
    assert.match(stepOf(report, 'imap.roundtrip').summary, /^NOOP took \d+ ms; fetching one envelope took \d+ ms\.$/);

    assert.ok(clientLines(report).some((l) => /^D\d+ AUTHENTICATE PLAIN \(redacted\)$/.test(l)), clientLines(report).join('\n'));
    assert.ok(report.transcript.some((l) => /FETCH \(ENVELOPE \.\.\.\) \[\d+ bytes, not shown\]/.test(l.text)));
    assertNoSecret(report, PASSWORD, SECRET_SUBJECT, Buffer.from(`\u0000alice\u0000${PASSWORD}`).toString('base64'));
    assert.deepEqual(report.commands, [
      `openssl s_client -connect 127.0.0.1:${server.imapsPort} -CAfile ${certs.ca.cert}`,
      `curl -v --cacert ${certs.ca.cert} imaps://127.0.0.1:${server.imapsPort}/ --user alice`,
    ]);
    const json = JSON.parse(reportToJson(report)) as DoctorReport;
    assert.deepEqual(Object.keys(json), ['schema', 'startedAt', 'durationMs', 'input', 'verdict', 'discovery', 'imap', 'smtp', 'steps', 'fixes', 'commands', 'transcript']);
    assert.equal(json.schema, 'imap-explorer-doctor/1');
  });

  it('says which special folders and extensions are missing, and what that means for a client', async () => {
    const sparse = await startDovecot({
      certificateFiles: { cert: certs.good, ca: certs.ca },
      imapCapability: 'IMAP4rev1 SASL-IR ID ENABLE IDLE UIDPLUS LIST-EXTENDED SPECIAL-USE',
      extraConfig: 'namespace inbox {\n  mailbox Sent {\n    special_use =\n  }\n}\n',
    });
    try {
      const report = await runDoctor(`imaps://alice@127.0.0.1:${sparse.imapsPort}`, { password: PASSWORD, ca: [certs.ca.pem] });
      const mailboxes = stepOf(report, 'imap.mailboxes');
      assert.equal(mailboxes.status, 'warn', statuses(report));
      assert.deepEqual(report.imap!.mailboxes!.missing, ['\\Sent']);
      assert.equal(report.imap!.mailboxes!.folders.find((f) => f.name === 'Sent')?.specialUse, null);
      assert.match(mailboxes.summary, /No folder is marked \\Sent\.$/);
      assert.match(mailboxes.fix ?? '', /^Without \\Sent clients guess or create their own folders/);
      const move = report.imap!.capabilitiesAfterLogin.find((c) => c.name === 'MOVE');
      assert.deepEqual(move, { name: 'MOVE', present: false, meaning: 'Moving is copy, mark deleted, expunge: slower, and an interruption can leave a copy behind.' });
      assert.equal(report.imap!.mailboxes!.inbox?.highestModseq, null, 'no HIGHESTMODSEQ asked without CONDSTORE');
      assert.match(stepOf(report, 'imap.extensions').summary, /^IMAP4rev1; has IDLE, UIDPLUS, SPECIAL-USE; lacks MOVE, CONDSTORE, QRESYNC, LIST-STATUS, SORT, THREAD, COMPRESS, PREVIEW\.$/);
      assert.equal(report.verdict.status, 'warn');
    } finally {
      await sparse.stop();
    }
  });

  it('says when the issuer is not trusted, and keeps the password home', async () => {
    const report = await runDoctor(`imaps://alice@127.0.0.1:${server.imapsPort}`, { password: PASSWORD });
    const tls = stepOf(report, 'imap.tls');
    assert.equal(tls.status, 'fail');
    assert.equal(tls.code, 'TLS_UNTRUSTED');
    assert.equal(tls.summary, 'The server sends only its own certificate \'localhost\', issued by \'IMAP Explorer Test CA doctor-ca\', which it does not send and which this computer does not trust.');
    assert.match(tls.fix ?? '', /^Two causes fit\. If 'IMAP Explorer Test CA doctor-ca' is an intermediate of a public CA, the server must send it: install the full chain .* If it is your organisation's own CA, add it to this computer's trust store \(NODE_EXTRA_CA_CERTS, or --ca for this check\)\./);
    assert.equal(report.imap!.tls!.verifyError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    assert.equal(report.imap!.tls!.trust, 'none');
    assert.equal(report.imap!.tls!.certificate.selfSigned, false);
    assert.equal(stepOf(report, 'imap.login').status, 'skip');
    assert.match(stepOf(report, 'imap.login').summary, /password was not sent/);
    assert.ok(!clientLines(report).some((l) => /AUTHENTICATE|LOGIN/.test(l)), clientLines(report).join('\n'));
    assert.equal(stepOf(report, 'imap.capability').status, 'pass', 'the diagnosis goes on without the password');
    assert.equal(report.verdict.status, 'fail');
  });

  it('names a self-signed certificate with its fingerprint, and passes it once pinned', async () => {
    const selfSigned = await startDovecot({ certificate: 'self-signed' });
    try {
      const fingerprint = opensslFingerprint(selfSigned.cert.cert);
      const report = await runDoctor(`imaps://alice@127.0.0.1:${selfSigned.imapsPort}`, { password: PASSWORD });
      const tls = stepOf(report, 'imap.tls');
      assert.equal(tls.status, 'fail');
      assert.equal(tls.code, 'TLS_UNTRUSTED');
      assert.match(tls.summary, /^The server's certificate 'localhost' is self-signed: no certificate authority vouches for it/);
      assert.equal(report.imap!.tls!.pinnable, true, 'pinning was checked to work');
      assert.ok(tls.fix?.includes(fingerprint), tls.fix);
      assert.equal(report.imap!.tls!.certificate.selfSigned, true);
      assert.equal(report.imap!.tls!.certificate.sha256, fingerprint);
      assert.equal(report.imap!.tls!.verifyError, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      assert.match(report.verdict.line, /^FAIL: IMAP: TLS and certificate: The server's certificate 'localhost' is self-signed/);
      assert.equal(stepOf(report, 'imap.login').status, 'skip');

      // the pin as a user would paste it: lower case, no colons
      const pinned = await runDoctor(`imaps://alice@127.0.0.1:${selfSigned.imapsPort}`, { password: PASSWORD, pin: fingerprint.replace(/:/g, '').toLowerCase() });
      assert.notEqual(stepOf(pinned, 'imap.tls').status, 'fail', statuses(pinned));
      assert.equal(pinned.imap!.tls!.trust, 'pin');
      assert.deepEqual(pinned.imap!.tls!.pin, { expected: fingerprint, matches: true, nodeAccepts: true });
      assert.match(stepOf(pinned, 'imap.tls').summary, /trusted because it matches the pinned fingerprint/);
      assert.equal(stepOf(pinned, 'imap.login').status, 'pass');
      assert.notEqual(pinned.verdict.status, 'fail');

      // a pin of another certificate is a hard failure
      const wrongPin = await runDoctor(`imaps://127.0.0.1:${selfSigned.imapsPort}`, { pin: opensslFingerprint(certs.good.cert) });
      assert.equal(stepOf(wrongPin, 'imap.tls').code, 'TLS_PIN_MISMATCH');
    } finally {
      await selfSigned.stop();
    }
  });

  it('names an expired certificate and the day it expired', async () => {
    const expired = await startDovecot({ certificateFiles: { cert: certs.expired, ca: certs.ca } });
    try {
      const report = await runDoctor(`imaps://alice@127.0.0.1:${expired.imapsPort}`, { password: PASSWORD, ca: [certs.ca.pem] });
      const tls = stepOf(report, 'imap.tls');
      assert.equal(tls.status, 'fail');
      assert.equal(tls.code, 'TLS_EXPIRED');
      assert.match(tls.summary, /^The server's certificate 'localhost' expired on 2024-02-01 \(\d+ days ago\): renew it and reload the server\.$/);
      assert.match(tls.fix ?? '', /Renew the certificate/);
      assert.ok(report.imap!.tls!.certificate.daysToExpiry < -290);
      assert.equal(report.imap!.tls!.trust, 'none', 'Node refuses it, so the app would');
      assert.equal(report.imap!.tls!.verifyError, 'CERT_HAS_EXPIRED');
      assert.equal(stepOf(report, 'imap.login').status, 'skip');
    } finally {
      await expired.stop();
    }
  });

  it('names a certificate made for another host name', async () => {
    const other = await startDovecot({ certificateFiles: { cert: certs.otherHost, ca: certs.ca } });
    try {
      const report = await runDoctor(`imaps://alice@localhost:${other.imapsPort}`, { password: PASSWORD, ca: [certs.ca.pem] });
      const tls = stepOf(report, 'imap.tls');
      assert.equal(tls.status, 'fail');
      assert.equal(tls.code, 'TLS_HOSTNAME');
      assert.equal(tls.summary, 'The certificate is for mail.example.org, not for localhost.');
      assert.match(tls.fix ?? '', /Connect with a name the certificate lists \(mail\.example\.org\)/);
      assert.deepEqual(report.imap!.tls!.certificate.sans, ['DNS:mail.example.org']);
      assert.equal(report.imap!.tls!.hostMatches, false);
      assert.equal(stepOf(report, 'imap.dns').status, 'pass');
      assert.match(stepOf(report, 'imap.dns').summary, /^localhost resolves to/);
      assert.equal(stepOf(report, 'imap.login').status, 'skip');
      assert.deepEqual(report.commands.slice(0, 1), [`openssl s_client -connect localhost:${other.imapsPort} -servername localhost`]);
    } finally {
      await other.stop();
    }
  });

  it('warns about a certificate that expires within two weeks, but logs in', async () => {
    const soon = await startDovecot({ certificateFiles: { cert: certs.soon, ca: certs.ca } });
    try {
      const report = await runDoctor(`imaps://alice@127.0.0.1:${soon.imapsPort}`, { password: PASSWORD, ca: [certs.ca.pem] });
      const tls = stepOf(report, 'imap.tls');
      assert.equal(tls.status, 'warn');
      assert.match(tls.summary, /but it expires in [45] days/);
      assert.equal(stepOf(report, 'imap.login').status, 'pass');
      assert.equal(report.verdict.status, 'warn');
      assert.match(report.verdict.line, /^PASS with 1 warning: IMAP: TLS and certificate:/);
    } finally {
      await soon.stop();
    }
  });

  it('explains plain IMAP on the port the user called TLS, then checks it with STARTTLS', async () => {
    const report = await runDoctor(`imaps://alice@127.0.0.1:${server.imapPort}`, { password: PASSWORD, ca: [certs.ca.pem] });
    const mode = stepOf(report, 'imap.mode');
    assert.equal(mode.status, 'fail');
    assert.equal(mode.code, 'TLS_NOT_TLS');
    assert.match(mode.summary, /^This port speaks plain IMAP; use STARTTLS on it or port 993\./);
    assert.match(mode.summary, /answered in clear text \("\* OK \[CAPABILITY IMAP4rev1/);
    assert.equal(mode.fix, `Set the security to STARTTLS for port ${server.imapPort} (imap://127.0.0.1:${server.imapPort}), or use TLS on port 993 (imaps://127.0.0.1:993).`);
    assert.equal(report.imap!.detectedSecurity, 'starttls');
    // the rest ran the way the port works
    assert.equal(stepOf(report, 'imap.tls').status, 'pass');
    assert.equal(stepOf(report, 'imap.login').status, 'pass');
    assert.ok(report.commands.includes(`openssl s_client -connect 127.0.0.1:${server.imapPort} -starttls imap`), report.commands.join('\n'));
    assert.equal(report.verdict.status, 'fail');
  });

  it('explains TLS on the port the user called STARTTLS, then checks it with TLS', async () => {
    const report = await runDoctor(`imap://alice@127.0.0.1:${server.imapsPort}`, { password: PASSWORD, ca: [certs.ca.pem], timeouts: FAST });
    const mode = stepOf(report, 'imap.mode');
    assert.equal(mode.status, 'fail');
    assert.equal(mode.code, 'TLS_UNEXPECTED');
    assert.match(mode.summary, /^Port \d+ speaks TLS from the first byte \(implicit TLS, like port 993\)/);
    assert.match(mode.fix ?? '', new RegExp(`Set the security to TLS for port ${server.imapsPort} \\(imaps://127\\.0\\.0\\.1:${server.imapsPort}\\)`));
    assert.equal(report.imap!.detectedSecurity, 'tls');
    assert.equal(stepOf(report, 'imap.tls').status, 'pass');
    assert.equal(stepOf(report, 'imap.login').status, 'pass');
  });

  it('upgrades with STARTTLS when it is advertised, and asks for the capabilities again after TLS', async () => {
    const report = await runDoctor(`imap://alice@127.0.0.1:${server.imapPort}`, { password: PASSWORD, ca: [certs.ca.pem] });
    assert.equal(report.verdict.status, 'pass', statuses(report));
    const mode = stepOf(report, 'imap.mode');
    assert.equal(mode.summary, `STARTTLS is offered and accepted on port ${server.imapPort}.`);
    assert.ok(report.imap!.capabilitiesBeforeTls.includes('STARTTLS'));
    assert.ok(!report.imap!.capabilitiesBeforeLogin.includes('STARTTLS'), 'the list after TLS is the server\'s new answer');
    assert.ok(stepOf(report, 'imap.capability').details.some((d) => /Fetched again after STARTTLS; the list from before TLS was discarded/.test(d)));
    const order = report.transcript.filter((l) => l.protocol === 'imap').map((l) => l.text);
    const starttls = order.findIndex((t) => /^D\d+ STARTTLS$/.test(t));
    const handshake = order.findIndex((t) => t.startsWith('TLS handshake (STARTTLS)'));
    const capability = order.findIndex((t, i) => i > handshake && /^D\d+ CAPABILITY$/.test(t));
    assert.ok(starttls >= 0 && starttls < handshake && handshake < capability, order.join('\n'));
    assert.deepEqual(report.commands, [`openssl s_client -connect 127.0.0.1:${server.imapPort} -starttls imap`, `curl -v --ssl-reqd imap://127.0.0.1:${server.imapPort}/ --user alice`]);
  });

  it('drops what arrives between the STARTTLS go-ahead and the handshake', async () => {
    const injecting = await injectingStarttlsServer(certs.good);
    try {
      const report = await runDoctor(`imap://127.0.0.1:${injecting.port}`, { ca: [certs.ca.pem] });
      const mode = stepOf(report, 'imap.mode');
      assert.equal(mode.status, 'pass', statuses(report));
      assert.ok(mode.details.some((d) => /^\d+ bytes that arrived between the STARTTLS answer and the handshake were discarded/.test(d)), mode.details.join('\n'));
      assert.equal(stepOf(report, 'imap.tls').status, 'pass');
      assert.deepEqual(report.imap!.capabilitiesBeforeLogin, ['IMAP4REV1', 'AUTH=PLAIN'], 'the injected CAPABILITY line was not read as TLS data');
    } finally {
      await injecting.close();
    }
  });

  it('stops when STARTTLS is missing, and never sends the password', async () => {
    const fake = await noStarttlsServer();
    try {
      const report = await runDoctor(`imap://alice@127.0.0.1:${fake.port}`, { password: PASSWORD });
      const mode = stepOf(report, 'imap.mode');
      assert.equal(mode.status, 'fail');
      assert.equal(mode.code, 'STARTTLS_UNAVAILABLE');
      assert.match(mode.summary, /does not offer STARTTLS on port \d+\. Going on would send the password in clear text/);
      for (const id of ['imap.tls', 'imap.capability', 'imap.login', 'imap.extensions', 'imap.mailboxes', 'imap.roundtrip'] as const) {
        assert.equal(stepOf(report, id).status, 'skip', id);
      }
      assert.match(stepOf(report, 'imap.login').summary, /"IMAP: security mode" failed/);
      assert.ok(!fake.received.some((line) => /LOGIN|AUTHENTICATE|STARTTLS/i.test(line)), fake.received.join('\n'));
      assert.ok(!fake.received.join('\n').includes(PASSWORD));
      assert.equal(report.verdict.status, 'fail');
    } finally {
      await fake.close();
    }
  });

  it('reports LOGINDISABLED before TLS, and refuses to send a password in clear text', async () => {
    // Dovecot treats a client with its own address as secure: listen on 127.0.0.2, come from 127.0.0.1
    const strict = await startDovecot({ listen: '127.0.0.2', extraConfig: 'disable_plaintext_auth = yes\n', certificateFiles: { cert: certs.good, ca: certs.ca } });
    try {
      const report = await runDoctor(`imap://alice@127.0.0.2:${strict.imapPort}`, { password: PASSWORD, ca: [certs.ca.pem] });
      assert.ok(report.imap!.capabilitiesBeforeTls.includes('LOGINDISABLED'), report.imap!.capabilitiesBeforeTls.join(' '));
      assert.ok(stepOf(report, 'imap.mode').details.includes('LOGINDISABLED before TLS: the server refuses passwords on the unencrypted connection, as it should.'));
      assert.ok(!report.imap!.capabilitiesBeforeLogin.includes('LOGINDISABLED'));
      assert.equal(stepOf(report, 'imap.login').status, 'pass');
      assert.equal(report.verdict.status, 'pass', statuses(report));

      const plain = await runDoctor({ host: '127.0.0.2', port: strict.imapPort, security: 'none', user: 'alice' }, { password: PASSWORD });
      const login = stepOf(plain, 'imap.login');
      assert.equal(login.status, 'fail');
      assert.equal(login.code, 'LOGIN_DISABLED');
      assert.match(login.summary, /refuses passwords on an unencrypted connection \(LOGINDISABLED\), so the password was not sent/);
      assert.match(login.fix ?? '', /Use STARTTLS/);
      assert.equal(stepOf(plain, 'imap.tls').status, 'skip');
      assert.ok(!clientLines(plain).some((l) => /LOGIN|AUTHENTICATE/.test(l)), clientLines(plain).join('\n'));
      assert.ok(!readFileSync(`${strict.dir}/dovecot.log`, 'utf8').includes('auth failed'));
    } finally {
      await strict.stop();
    }
  });

  it('logs in with AUTHENTICATE LOGIN and an 8-bit password when AUTH=PLAIN is not offered', async () => {
    const password = 'pässwörd-ünïcode';
    const loginOnly = await startDovecot({ users: [{ name: 'jorg', password }], extraConfig: 'auth_mechanisms = login\n', certificateFiles: { cert: certs.good, ca: certs.ca } });
    try {
      const report = await runDoctor(`imaps://jorg@127.0.0.1:${loginOnly.imapsPort}`, { password, ca: [certs.ca.pem] });
      assert.deepEqual(report.imap!.authMechanisms, ['LOGIN']);
      assert.equal(stepOf(report, 'imap.login').status, 'pass', statuses(report));
      assert.match(stepOf(report, 'imap.login').summary, /^Logged in as jorg \(AUTHENTICATE LOGIN\)/);
      const lines = clientLines(report);
      const command = lines.findIndex((l) => /^D\d+ AUTHENTICATE LOGIN$/.test(l));
      assert.deepEqual(lines.slice(command + 1, command + 3), ['(user name jorg, base64)', '(redacted)']);
      assertNoSecret(report, password);
    } finally {
      await loginOnly.stop();
    }
  });

  it('maps a wrong password to advice, and shows it nowhere', async () => {
    const wrong = 'not-the-password-4711';
    const report = await runDoctor(`imaps://alice@127.0.0.1:${server.imapsPort}`, { password: wrong, ca: [certs.ca.pem] });
    const login = stepOf(report, 'imap.login');
    assert.equal(login.status, 'fail');
    assert.equal(login.code, 'AUTH_FAILED');
    assert.match(login.summary, /^The server did not accept the user name and password \(AUTHENTICATIONFAILED\)\. The server said: "Authentication failed\."/);
    assert.match(login.fix ?? '', /Check the user name \(often the full email address\) and the password/);
    for (const id of ['imap.extensions', 'imap.mailboxes', 'imap.roundtrip'] as const) {
      assert.equal(stepOf(report, id).status, 'skip');
    }
    assert.match(report.verdict.line, /^FAIL: IMAP: login: The server did not accept the user name and password/);
    assertNoSecret(report, wrong);
  });

  it('tells an app-password requirement from a wrong password, in the provider\'s words', async () => {
    const gmailLike = await refusingTlsServer(certs.good, 'NO [ALERT] Application-specific password required: https://support.google.com/accounts/answer/185833 (Failure)');
    try {
      const report = await runDoctor(`imaps://alice@127.0.0.1:${gmailLike.port}`, { password: PASSWORD, ca: [certs.ca.pem] });
      const login = stepOf(report, 'imap.login');
      assert.equal(login.status, 'fail');
      assert.equal(login.code, 'APP_PASSWORD_REQUIRED');
      assert.match(login.summary, /^The provider wants an application-specific password, not the account password\. The server said: "Application-specific password required/);
      assert.match(login.fix ?? '', /Create an app password in the provider's account security settings/);
      assert.equal(report.imap!.serverId?.name, 'GImap');
      assertNoSecret(report, PASSWORD);
    } finally {
      await gmailLike.close();
    }
    const wrong = await refusingTlsServer(certs.good, 'NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)');
    try {
      const report = await runDoctor(`imaps://alice@127.0.0.1:${wrong.port}`, { password: PASSWORD, ca: [certs.ca.pem] });
      const login = stepOf(report, 'imap.login');
      assert.equal(login.code, 'AUTH_FAILED');
      assert.match(login.fix ?? '', /This server also offers OAuth sign-in/);
    } finally {
      await wrong.close();
    }
  });

  it('says when the server accepts only OAuth, without sending the password', async () => {
    const oauthOnly = await startDovecot({ extraConfig: 'auth_mechanisms = xoauth2 oauthbearer\n', certificateFiles: { cert: certs.good, ca: certs.ca } });
    try {
      const report = await runDoctor(`imaps://alice@127.0.0.1:${oauthOnly.imapsPort}`, { password: PASSWORD, ca: [certs.ca.pem] });
      const capability = stepOf(report, 'imap.capability');
      assert.equal(capability.status, 'warn');
      assert.equal(capability.code, 'OAUTH_REQUIRED');
      assert.deepEqual(report.imap!.authMechanisms, ['XOAUTH2', 'OAUTHBEARER']);
      const login = stepOf(report, 'imap.login');
      assert.equal(login.status, 'fail');
      assert.equal(login.code, 'OAUTH_REQUIRED');
      assert.match(login.summary, /accepts only OAuth sign-in \(XOAUTH2 \/ OAUTHBEARER\): it takes no password at all/);
      assert.ok(!clientLines(report).some((l) => /LOGIN|AUTHENTICATE/.test(l)), clientLines(report).join('\n'));
      assert.ok(await logCount(oauthOnly, /no auth attempts/, 1) >= 1, 'the server saw the connection end without a login attempt');
    } finally {
      await oauthOnly.stop();
    }
  });

  it('tells a closed port from a silent one', async () => {
    const closedPort = await freePort();
    const closed = await runDoctor(`imaps://127.0.0.1:${closedPort}`, { timeouts: FAST });
    const tcp = stepOf(closed, 'imap.tcp');
    assert.equal(tcp.status, 'fail');
    assert.equal(tcp.code, 'CONNECTION_REFUSED');
    assert.match(tcp.summary, new RegExp(`^Connection refused on port ${closedPort}: nothing listens there`));
    assert.equal(stepOf(closed, 'imap.mode').status, 'skip');
    assert.match(stepOf(closed, 'imap.mode').summary, /"IMAP: TCP connection" failed/);
    assert.equal(closed.verdict.status, 'fail');

    const silent = await silentServer();
    try {
      const tlsPort = await runDoctor(`imaps://127.0.0.1:${silent.port}`, { timeouts: { ...FAST, tls: 1000 } });
      assert.equal(stepOf(tlsPort, 'imap.tcp').status, 'pass');
      assert.equal(stepOf(tlsPort, 'imap.mode').code, 'TIMEOUT');
      assert.match(stepOf(tlsPort, 'imap.mode').summary, /accepted the connection but sent nothing within 1000 ms, neither a TLS answer nor a greeting: a STARTTLS port would have greeted at once/);
      const plainPort = await runDoctor(`imap://127.0.0.1:${silent.port}`, { timeouts: { ...FAST, greeting: 1000, tls: 1000 } });
      assert.equal(stepOf(plainPort, 'imap.greeting').code, 'TIMEOUT');
      assert.match(stepOf(plainPort, 'imap.greeting').summary, /accepts connections but says nothing within 1000 ms, in clear text or in TLS/);
      assert.match(stepOf(plainPort, 'imap.greeting').fix ?? '', /^Two causes fit: the port runs a service that waits for its client to speak .* or the server greets only after a long delay/);
    } finally {
      await silent.close();
    }
  });

  it('recognises a web server on the port', async () => {
    const http: HttpServer = createHttpServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as { port: number }).port;
    try {
      const tls = await runDoctor(`imaps://127.0.0.1:${port}`, { timeouts: FAST });
      const mode = stepOf(tls, 'imap.mode');
      assert.equal(mode.code, 'WRONG_PROTOCOL');
      assert.match(mode.summary, new RegExp(`^An HTTP \\(web\\) server answers on port ${port}, not an IMAP server \\("HTTP/1\\.1 400 Bad Request"\\)\\.$`));
      assert.match(mode.fix ?? '', /IMAP uses 993 \(TLS\) or 143 \(STARTTLS\)/);
      const starttls = await runDoctor(`imap://127.0.0.1:${port}`, { timeouts: FAST });
      assert.equal(stepOf(starttls, 'imap.mode').code, 'WRONG_PROTOCOL');
      assert.match(stepOf(starttls, 'imap.mode').summary, /HTTP \(web\) server answers/);
    } finally {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    }
  });

  it('fails a server that only speaks TLS 1.1, naming the version', async () => {
    const old = createTlsServer({ cert: readFileSync(certs.good.cert), key: readFileSync(certs.good.key), minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }, (socket) => {
      socket.on('error', () => undefined);
      socket.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] old server\r\n');
    });
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    const port = (old.address() as { port: number }).port;
    try {
      const report = await runDoctor(`imaps://alice@127.0.0.1:${port}`, { password: PASSWORD, ca: [certs.ca.pem], timeouts: FAST });
      const tls = stepOf(report, 'imap.tls');
      assert.equal(tls.status, 'fail', statuses(report));
      assert.equal(tls.code, 'TLS_FAILED');
      assert.match(tls.summary, /only speaks TLSv1\.1, which is outdated and insecure \(RFC 8996\)/);
      assert.equal(report.imap!.tls!.protocol, 'TLSv1.1');
      assert.equal(stepOf(report, 'imap.greeting').status, 'pass');
      assert.equal(stepOf(report, 'imap.login').status, 'skip');
    } finally {
      // not awaited: Node never reports a TLS server closed after a handshake it refused
      old.close();
    }
  });

  describe('SMTP submission', () => {
    let starttls: SmtpSink;
    let implicit: SmtpSink;
    const logins: Array<{ user: string; ok: boolean }> = [];
    const mailFrom: string[] = [];
    const common = (secure: boolean): Partial<SMTPServerOptions> => ({
      secure,
      disableReverseLookup: true,
      disabledCommands: [],
      key: readFileSync(certs.good.key),
      cert: readFileSync(certs.good.cert),
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: false,
      onAuth(auth, _session, callback) {
        const ok = auth.username === 'alice' && auth.password === PASSWORD;
        logins.push({ user: auth.username ?? '', ok });
        callback(ok ? null : new Error('Invalid username or password'), ok ? { user: 'alice' } : undefined);
      },
      onMailFrom(address, _session, callback) {
        mailFrom.push(address.address);
        callback();
      },
    });
    before(async () => {
      starttls = await startSmtpSink(common(false));
      implicit = await startSmtpSink(common(true));
    });
    after(async () => {
      await starttls?.close();
      await implicit?.close();
    });

    it('checks 587-style STARTTLS: EHLO before and after TLS, AUTH mechanisms, login, and sends no mail', async () => {
      logins.length = 0;
      const report = await runDoctor(`imaps://alice@127.0.0.1:${server.imapsPort}`, { password: PASSWORD, ca: [certs.ca.pem], smtp: `smtp://127.0.0.1:${starttls.port}` });
      assert.equal(report.verdict.status, 'pass', statuses(report));
      assert.equal(stepOf(report, 'smtp.mode').summary, `STARTTLS is offered and accepted on port ${starttls.port}.`, statuses(report));
      assert.ok(stepOf(report, 'smtp.mode').details.includes('Login offered before TLS (AUTH PLAIN LOGIN): a client could send its password unencrypted.'), statuses(report));
      assert.equal(report.smtp!.tls!.trust, 'ca');
      assert.deepEqual(report.smtp!.authMechanisms, ['PLAIN', 'LOGIN']);
      assert.ok(report.smtp!.extensions.includes('STARTTLS') === false, 'STARTTLS is gone after TLS');
      assert.ok(stepOf(report, 'smtp.ehlo').details.some((d) => /^AUTH PLAIN LOGIN: accepts a login/.test(d)));
      assert.ok(stepOf(report, 'smtp.ehlo').details.includes('Sent EHLO again after STARTTLS; the answer from before TLS was discarded (RFC 3207 4.2).'));
      assert.match(stepOf(report, 'smtp.login').summary, /^Logged in as alice \(AUTH PLAIN\) in \d+ ms\. No mail was sent\.$/);
      assert.deepEqual(logins, [{ user: 'alice', ok: true }]);
      assert.deepEqual(mailFrom, []);
      assert.equal(starttls.received.length, 0);
      assert.ok(clientLines(report, 'smtp').includes('AUTH PLAIN (redacted)'));
      assert.ok(report.commands.includes(`openssl s_client -connect 127.0.0.1:${starttls.port} -starttls smtp`));
      assertNoSecret(report, PASSWORD);
    });

    it('checks 465-style TLS, and maps a refused SMTP login', async () => {
      logins.length = 0;
      const report = await runDoctor(`imaps://alice@127.0.0.1:${server.imapsPort}`, { password: PASSWORD, smtpPassword: 'wrong-smtp-password', ca: [certs.ca.pem], smtp: `smtps://127.0.0.1:${implicit.port}` });
      assert.equal(stepOf(report, 'smtp.mode').summary, `Port ${implicit.port} answered the TLS handshake, as a TLS port should.`);
      assert.equal(stepOf(report, 'smtp.tls').status, 'pass');
      assert.match(stepOf(report, 'smtp.greeting').summary, /^The server greeted: "220 /);
      assert.equal(stepOf(report, 'smtp.ehlo').status, 'pass');
      const login = stepOf(report, 'smtp.login');
      assert.equal(login.status, 'fail');
      assert.equal(login.code, 'AUTH_FAILED');
      assert.match(login.summary, /did not accept the user name and password\. The server said: "535/);
      assert.deepEqual(logins, [{ user: 'alice', ok: false }]);
      assert.equal(stepOf(report, 'imap.login').status, 'pass', 'IMAP used its own password');
      assertNoSecret(report, PASSWORD, 'wrong-smtp-password');
    });

    it('explains plain SMTP on the port called TLS', async () => {
      const report = await runDoctor(`imaps://127.0.0.1:${server.imapsPort}`, { ca: [certs.ca.pem], smtp: `smtps://127.0.0.1:${starttls.port}` });
      const mode = stepOf(report, 'smtp.mode');
      assert.equal(mode.code, 'TLS_NOT_TLS', statuses(report));
      assert.match(mode.summary, /^This port speaks plain SMTP; use STARTTLS on it or port 465\./);
      assert.equal(stepOf(report, 'smtp.tls').status, 'pass', 'then checked with STARTTLS');
    });
  });

  describe('discovery', () => {
    let dns: DnsServer;
    let web: FileServer;
    let smtp: SmtpSink;
    const autoconfigXml = (imapPort: number, smtpPort: number, host: string) => `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="${host}">
    <domain>${host}</domain>
    <incomingServer type="pop3">
      <hostname>pop.${host}</hostname><port>995</port><socketType>SSL</socketType>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>mail.${host}</hostname>
      <port>${imapPort}</port>
      <socketType>SSL</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>mail.${host}</hostname>
      <port>${smtpPort}</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>`;

    before(async () => {
      smtp = await startSmtpSink({ disabledCommands: [], disableReverseLookup: true, key: readFileSync(certs.good.key), cert: readFileSync(certs.good.cert), authOptional: true });
      dns = await startDnsmasq({
        zones: ['example.test', 'auto.test', 'wk.test', 'guess.test', 'nothing.test', 'untrusted.test'],
        srv: [
          { name: '_imaps._tcp.example.test', target: 'imap.example.test', port: server.imapsPort },
          { name: '_submission._tcp.example.test', target: 'smtp.example.test', port: smtp.port },
        ],
        hosts: [
          { name: 'imap.example.test', address: '127.0.0.1' },
          { name: 'smtp.example.test', address: '127.0.0.1' },
          { name: 'autoconfig.auto.test', address: '127.0.0.1' },
          { name: 'mail.auto.test', address: '127.0.0.1' },
          { name: 'wk.test', address: '127.0.0.1' },
          { name: 'mail.wk.test', address: '127.0.0.1' },
          { name: 'imap.guess.test', address: '127.0.0.1' },
          { name: 'autoconfig.untrusted.test', address: '127.0.0.1' },
        ],
      });
      web = await startHttpsFileServer(certs.web, {
        'autoconfig.auto.test/mail/config-v1.1.xml': autoconfigXml(server.imapsPort, smtp.port, 'auto.test'),
        'wk.test/.well-known/autoconfig/mail/config-v1.1.xml': autoconfigXml(server.imapsPort, smtp.port, 'wk.test').replace(/mail\.wk\.test/g, 'imap.wk.test'),
      });
    });
    after(async () => {
      await dns?.stop();
      await web?.close();
      await smtp?.close();
    });

    const options = () => {
      const resolver = dnsServerResolver([dns.server]);
      return { resolver, fetcher: httpsFetcher({ resolver, ca: [certs.ca.pem], port: web.port }), ca: [certs.ca.pem], timeouts: FAST };
    };

    it('finds the servers from RFC 6186 SRV records', async () => {
      const report = await runDoctor('alice@example.test', { ...options(), password: PASSWORD });
      const discovery = stepOf(report, 'discovery');
      assert.equal(discovery.status, 'pass', statuses(report));
      assert.equal(report.discovery?.source, 'srv');
      assert.match(discovery.summary, new RegExp(`^Found by DNS SRV records \\(RFC 6186\\): IMAP imaps://alice%40example\\.test@imap\\.example\\.test:${server.imapsPort}, SMTP smtp://alice%40example\\.test@smtp\\.example\\.test:${smtp.port}\\.$`));
      assert.deepEqual(report.imap?.endpoint, { host: 'imap.example.test', port: server.imapsPort, security: 'tls', user: 'alice@example.test' });
      assert.equal(stepOf(report, 'imap.dns').summary, 'imap.example.test resolves to 127.0.0.1.');
      assert.equal(report.imap?.tls?.hostMatches, true);
      assert.equal(stepOf(report, 'imap.login').status, 'pass', statuses(report));
      assert.equal(stepOf(report, 'smtp.mode').status, 'pass', 'the discovered submission server is checked too');
      assert.match(dns.log(), /query\[SRV\] _imaps\._tcp\.example\.test/);
      assert.equal(web.requests.length, 0, 'no autoconfig needed');
    });

    it('finds the servers from the provider\'s autoconfig file over HTTPS', async () => {
      const report = await runDoctor('bob@auto.test', options());
      assert.equal(report.discovery?.source, 'autoconfig', statuses(report));
      assert.equal(stepOf(report, 'discovery').status, 'pass');
      assert.deepEqual(report.imap?.endpoint, { host: 'mail.auto.test', port: server.imapsPort, security: 'tls', user: 'bob@auto.test' });
      assert.deepEqual(report.smtp?.endpoint, { host: 'mail.auto.test', port: smtp.port, security: 'starttls', user: 'bob@auto.test' });
      const srvMisses = report.discovery!.attempts.filter((a) => a.source === 'srv');
      assert.deepEqual(srvMisses.map((a) => [a.query, a.found, a.result]), [
        ['_imaps._tcp.auto.test', false, 'no such name (NXDOMAIN)'],
        ['_imap._tcp.auto.test', false, 'no such name (NXDOMAIN)'],
        ['_submissions._tcp.auto.test', false, 'no such name (NXDOMAIN)'],
        ['_submission._tcp.auto.test', false, 'no such name (NXDOMAIN)'],
      ]);
      assert.ok(web.requests.includes('autoconfig.auto.test/mail/config-v1.1.xml?emailaddress=bob%40auto.test'), web.requests.join('\n'));
      assert.equal(stepOf(report, 'imap.tls').status, 'pass');
    });

    it('falls back to the well-known autoconfig URL of the domain', async () => {
      const report = await runDoctor('carol@wk.test', options());
      assert.equal(report.discovery?.source, 'well-known', statuses(report));
      const autoconfig = report.discovery!.attempts.find((a) => a.source === 'autoconfig');
      assert.equal(autoconfig?.result, 'no such host');
      assert.equal(report.imap?.endpoint.host, 'imap.wk.test');
      assert.ok(web.requests.some((r) => r.startsWith('wk.test/.well-known/autoconfig/mail/config-v1.1.xml')));
    });

    it('does not use an autoconfig file served with an untrusted certificate', async () => {
      const resolver = dnsServerResolver([dns.server]);
      const report = await runDoctor('dave@untrusted.test', { resolver, fetcher: httpsFetcher({ resolver, port: web.port }), timeouts: FAST });
      const autoconfig = report.discovery!.attempts.find((a) => a.source === 'autoconfig');
      assert.equal(autoconfig?.found, false);
      assert.match(autoconfig?.result ?? '', /certificate/i);
      assert.equal(report.discovery?.source, null);
      assert.equal(stepOf(report, 'discovery').code, 'NOT_FOUND');
    });

    it('guesses imap.<domain> last, and says it was a guess', async () => {
      const report = await runDoctor('erin@guess.test', { ...options(), guessPorts: { tls: server.imapsPort, starttls: server.imapPort } });
      const discovery = stepOf(report, 'discovery');
      assert.equal(report.discovery?.source, 'guess', statuses(report));
      assert.equal(discovery.status, 'warn');
      assert.match(discovery.fix ?? '', /publish SRV records \(_imaps\._tcp\.guess\.test\) or an autoconfig file/);
      assert.deepEqual(report.imap?.endpoint, { host: 'imap.guess.test', port: server.imapsPort, security: 'tls', user: 'erin@guess.test' });
      assert.equal(report.discovery!.attempts.find((a) => a.source === 'autoconfig')?.result, 'no such host');
      assert.equal(stepOf(report, 'imap.tls').status, 'pass');
      assert.equal(report.verdict.status, 'warn');
    });

    it('fails when no source knows the domain', async () => {
      const report = await runDoctor('frank@nothing.test', { ...options(), guessPorts: { tls: server.imapsPort, starttls: server.imapPort } });
      const discovery = stepOf(report, 'discovery');
      assert.equal(discovery.status, 'fail');
      assert.equal(discovery.code, 'NOT_FOUND');
      assert.match(discovery.summary, /^No mail settings found for nothing\.test/);
      assert.equal(report.imap, null);
      assert.deepEqual(report.discovery!.attempts.map((a) => a.source), ['srv', 'srv', 'srv', 'srv', 'autoconfig', 'well-known', 'guess', 'guess']);
      assert.equal(report.verdict.status, 'fail');
    });
  });
});
