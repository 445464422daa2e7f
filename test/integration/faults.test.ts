// Failures a user meets, against real servers: each ends in a clear MailError, loses nothing,
// and never loops or falls back to something less safe.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { MailError } from '../../src/core/errors';
import { fetchHeaderPage } from '../../src/core/mail/headers';
import { listFolders } from '../../src/core/mail/folders';
import { memoryPinStore, probeCertificate } from '../../src/core/tls';
import { selfSignedCert } from '../support/certs';
import { DEFAULT_USER, type DovecotServer, logCount, startDovecot } from '../support/dovecot';
import { noStarttlsServer, silentServer } from '../support/fakeImap';
import { freePort } from '../support/net';
import { startProxy } from '../support/proxy';
import { seedBulkFolder } from '../support/seed';
import { clientCommands, testAccount, testSession } from '../support/session';

let server: DovecotServer;
let selfSigned: DovecotServer;

async function failure(promise: Promise<unknown>): Promise<MailError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof MailError, `expected a MailError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a failure');
}

function opensslFingerprint(certFile: string): string {
  return execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', certFile]).toString().trim().split('=')[1];
}

describe('connection faults', () => {
  before(async () => {
    server = await startDovecot();
    seedBulkFolder(server, DEFAULT_USER.name, 'Bulk', 300);
    selfSigned = await startDovecot({ certificate: 'self-signed' });
  });
  after(async () => {
    await server?.stop();
    await selfSigned?.stop();
  });

  it('reports a wrong password once and does not try again until the user acts', async () => {
    const session = testSession(server, { password: 'wrong password' });
    const error = await failure(session.run((c) => listFolders(c)));
    assert.equal(error.code, 'AUTH_FAILED');
    assert.match(error.message, /user name or password was not accepted/);
    const again = await failure(session.run((c) => listFolders(c)));
    assert.equal(again, error, 'the second action gets the same error without a new login');
    assert.equal(await logCount(server, /auth failed, 1 attempts/, 1), 1, readFileSync(`${server.dir}/dovecot.log`, 'utf8'));
    session.retry();
    await failure(session.run((c) => listFolders(c)));
    assert.equal(await logCount(server, /auth failed, 1 attempts/, 2), 2);
    await session.close();
  });

  it('spends one failed login on a wrong password, however many connections the account has', async () => {
    const before = await logCount(server, /auth failed, 1 attempts/, 0);
    const main = testSession(server, { password: 'another wrong password' });
    const extra = [1, 2].map(() => testSession(server, { password: 'another wrong password', after: () => main.connection() }));
    const errors = await Promise.all([...extra, main].map((s) => failure(s.run((c) => listFolders(c)))));
    assert.deepEqual(errors.map((e) => e.code), ['AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED'], 'each connection says why');
    assert.equal(await logCount(server, /auth failed, 1 attempts/, before + 1), before + 1, 'the server saw one failed login');
    await Promise.all([...extra, main].map((s) => s.close()));
  });

  it('asks for a password when none is stored, without connecting', async () => {
    const session = testSession(server, { password: '' });
    assert.equal((await failure(session.connection())).code, 'NO_PASSWORD');
    await session.close();
  });

  it('never writes the password to the log', async () => {
    const session = testSession(server);
    await session.run((c) => listFolders(c));
    const text = session.logger.lines.join('\n');
    assert.ok(!text.includes(DEFAULT_USER.password));
    assert.ok(clientCommands(session.logger).some((c) => /^\S+ (?:LOGIN|AUTHENTICATE)/.test(c)), text);
    await session.close();
  });

  it('refuses a self-signed certificate and shows its SHA-256 fingerprint', async () => {
    const session = testSession(selfSigned, { extraCa: [] });
    const error = await failure(session.connection());
    assert.equal(error.code, 'TLS_UNTRUSTED');
    assert.equal(error.details.certificate?.selfSigned, true);
    assert.equal(error.details.certificate?.sha256, opensslFingerprint(selfSigned.cert.cert));
    assert.ok(error.needsUser);
    await session.close();
  });

  it('connects to a pinned self-signed certificate, and fails hard when it changes', async () => {
    const fingerprint = opensslFingerprint(selfSigned.cert.cert);
    const pins = memoryPinStore();
    const seen = await probeCertificate(selfSigned.host, selfSigned.imapsPort, 'tls');
    pins.set(seen.sha256, seen.pem);
    const pinned = testSession(selfSigned, { extraCa: [], pins, account: testAccount(selfSigned, { pinnedCertificate: fingerprint }) });
    const folders = await pinned.run((c) => listFolders(c));
    assert.ok(folders.some((f) => f.path === 'INBOX'));
    await pinned.close();

    // the same pin over STARTTLS
    const starttls = testSession(selfSigned, { extraCa: [], pins, account: testAccount(selfSigned, { security: 'starttls', pinnedCertificate: fingerprint }) });
    assert.equal((await starttls.connection()).secureConnection, true);
    await starttls.close();

    // a pin from settings whose certificate is not cached yet is fetched and checked first
    const fresh = testSession(selfSigned, { extraCa: [], pins: memoryPinStore(), account: testAccount(selfSigned, { pinnedCertificate: fingerprint }) });
    await fresh.connection();
    await fresh.close();

    // the server now presents another self-signed certificate for the same name
    const other = selfSignedCert(selfSigned.dir + '/ssl', 'replacement');
    writeFileSync(selfSigned.cert.cert, readFileSync(other.cert));
    writeFileSync(selfSigned.cert.key, readFileSync(other.key));
    await selfSigned.restart();
    const changed = testSession(selfSigned, { extraCa: [], pins, account: testAccount(selfSigned, { pinnedCertificate: fingerprint }) });
    const error = await failure(changed.connection());
    assert.equal(error.code, 'TLS_PIN_MISMATCH');
    assert.equal(error.details.certificate?.sha256, opensslFingerprint(other.cert));
    assert.ok(error.needsUser);
    await changed.close();
    const uncached = testSession(selfSigned, { extraCa: [], pins: memoryPinStore(), account: testAccount(selfSigned, { pinnedCertificate: fingerprint }) });
    assert.equal((await failure(uncached.connection())).code, 'TLS_PIN_MISMATCH');
    await uncached.close();
  });

  // A company CA the machine does not trust: the user confirmed the server's own certificate, which
  // is not self-signed, so the handshake found no trust anchor for it and the pin never worked.
  it('connects to a pinned certificate of a private CA this machine does not trust', async () => {
    const refused = testSession(server, { extraCa: [] });
    assert.equal((await failure(refused.connection())).code, 'TLS_UNTRUSTED', 'the CA is not trusted here');
    await refused.close();
    const seen = await probeCertificate(server.host, server.imapsPort, 'tls');
    assert.equal(seen.selfSigned, false);
    const pins = memoryPinStore();
    pins.set(seen.sha256, seen.pem);
    for (const security of ['tls', 'starttls'] as const) {
      const pinned = testSession(server, { extraCa: [], pins, account: testAccount(server, { security, pinnedCertificate: seen.sha256 }) });
      assert.ok((await pinned.run((c) => listFolders(c))).some((f) => f.path === 'INBOX'), security);
      await pinned.close();
    }
    // the pin is that certificate only: another server's certificate is refused
    const sibling = testSession(selfSigned, { extraCa: [], pins, account: testAccount(selfSigned, { pinnedCertificate: seen.sha256 }) });
    assert.equal((await failure(sibling.connection())).code, 'TLS_PIN_MISMATCH');
    await sibling.close();
  });

  it('upgrades with STARTTLS when chosen, and stops before the password when the server lacks it', async () => {
    const session = testSession(server, { account: testAccount(server, { security: 'starttls' }) });
    const client = await session.connection();
    assert.equal(client.secureConnection, true);
    await session.close();

    const fake = await noStarttlsServer();
    try {
      const insecure = testSession(server, { account: testAccount(server, { security: 'starttls', port: fake.port }) });
      const error = await failure(insecure.connection());
      assert.equal(error.code, 'STARTTLS_UNAVAILABLE');
      assert.ok(!fake.received.some((line) => /LOGIN|AUTHENTICATE/i.test(line)), fake.received.join('\n'));
      await insecure.close();
    } finally {
      await fake.close();
    }
  });

  it('says when the port does not match the security setting', async () => {
    const tlsOnPlainPort = testSession(server, { account: testAccount(server, { security: 'tls', port: server.imapPort }) });
    const error = await failure(tlsOnPlainPort.connection());
    assert.equal(error.code, 'TLS_NOT_TLS');
    assert.match(error.message, /plain IMAP/);
    await tlsOnPlainPort.close();

    const starttlsOnTlsPort = testSession(server, { account: testAccount(server, { security: 'starttls', port: server.imapsPort }), clientOptions: { greetingTimeout: 1500 } });
    const second = await failure(starttlsOnTlsPort.connection());
    assert.ok(['TIMEOUT', 'DISCONNECTED'].includes(second.code), second.code);
    assert.match(second.message, /greeting|lost/);
    await starttlsOnTlsPort.close();
  });

  it('tells a closed port from a silent one', async () => {
    const closed = testSession(server, { account: testAccount(server, { security: 'tls', port: await freePort() }) });
    assert.equal((await failure(closed.connection())).code, 'CONNECTION_REFUSED');
    await closed.close();
    const silent = await silentServer();
    try {
      const quiet = testSession(server, { account: testAccount(server, { security: 'starttls', port: silent.port }), clientOptions: { greetingTimeout: 800 } });
      const error = await failure(quiet.connection());
      assert.equal(error.code, 'TIMEOUT');
      await quiet.close();
    } finally {
      await silent.close();
    }
  });

  it('waits before reconnecting after repeated failures, and retries at once when asked', async () => {
    let now = 1_000_000;
    const port = await freePort();
    const session = testSession(server, { account: testAccount(server, { port }), now: () => now });
    const first = await failure(session.connection());
    now += 100;
    const second = await failure(session.connection());
    assert.equal(second, first, 'within the backoff the stored error is returned');
    now += 1500;
    const third = await failure(session.connection());
    assert.notEqual(third, first, 'after the backoff it connects again');
    session.retry();
    assert.notEqual(await failure(session.connection()), third);
    await session.close();
  });

  it('rebuilds a dropped connection on the next action', async () => {
    const proxy = await startProxy({ targetPort: server.imapsPort });
    try {
      const session = testSession(server, { account: testAccount(server, { port: proxy.port, host: 'localhost' }) });
      await session.run((c) => listFolders(c));
      // the next action must find the connection gone, not stumble on it mid-command (the next test)
      const noticed = new Promise<void>((resolve) => {
        const listener = session.onStateChange((state) => {
          if (state === 'idle') {
            listener.dispose();
            resolve();
          }
        });
      });
      proxy.cutAll();
      await noticed;
      assert.equal(session.current, undefined);
      const page = await session.withMailbox('Bulk', (c, mb) => fetchHeaderPage(c, mb, 20), { idempotent: true });
      assert.equal(page.messages[0].uid, 300);
      assert.equal(proxy.connections, 2);
      await session.close();
    } finally {
      await proxy.close();
    }
  });

  it('repeats a read that lost its connection mid-command, once', async () => {
    const proxy = await startProxy({ targetPort: server.imapsPort });
    try {
      const session = testSession(server, { account: testAccount(server, { port: proxy.port, host: 'localhost' }) });
      await session.run((c) => listFolders(c));
      // TLS hides the command bytes from the proxy: cut on the next client write instead
      const cut = proxy.cutWhenClientSends(/./s);
      const page = await session.withMailbox('Bulk', (c, mb) => fetchHeaderPage(c, mb, 20), { idempotent: true });
      await cut;
      assert.equal(page.messages.length, 20);
      assert.equal(proxy.connections, 2);
      await session.close();
    } finally {
      await proxy.close();
    }
  });

  it('reports the server\'s NO as plain words', async () => {
    const session = testSession(server);
    const error = await failure(session.withMailbox('No Such Folder', async () => undefined));
    assert.ok(['SERVER_NO', 'NOT_FOUND'].includes(error.code), error.code);
    assert.match(error.message + (error.details.serverText ?? ''), /exist/i);
    await session.close();
  });
});
