// The doctor's own reading of a TLS handshake, against Node's TLS server on loopback: the
// certificates exactly as the server sent them, read from the handshake bytes under TLS 1.2 (clear
// text) and TLS 1.3 (decrypted with the handshake secret Node logs), for every TLS 1.3 cipher suite;
// and the chain analysis on certificates made by openssl.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { analyseChain, certFacts, explains } from '../../src/core/doctor/chainCheck';
import { HandshakeCapture } from '../../src/core/doctor/sentChain';
import { TappedStream } from '../../src/core/doctor/wire';
import { type CertFiles, issueCertificate } from '../support/certs';

let dir: string;
let root: CertFiles;
let intermediate: CertFiles;
let stray: CertFiles;
let leaf: CertFiles;

async function handshake(serverOptions: { ciphers?: string; maxVersion?: 'TLSv1.2' }): Promise<{ certificates: string[] | undefined; protocol: string; cipher: string }> {
  const server = createServer({ cert: leaf.pem + stray.pem + intermediate.pem, key: readFileSync(leaf.key), ...serverOptions }, (s) => {
    s.on('error', () => undefined);
    s.end('* OK\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const raw = netConnect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
    await new Promise((resolve) => raw.once('connect', resolve));
    const tap = new TappedStream(raw);
    const capture = new HandshakeCapture();
    tap.onChunk = (chunk) => capture.push(chunk);
    const socket: TLSSocket = connect({ socket: tap as never, rejectUnauthorized: false });
    capture.watch(socket);
    await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    capture.stop();
    const protocol = socket.getProtocol() ?? '';
    const cipher = socket.getCipher().standardName;
    socket.destroy();
    return { certificates: capture.certificates(protocol, cipher)?.map((der) => new X509Certificate(der).subject.replace(/^CN=/, '')), protocol, cipher };
  } finally {
    server.close();
  }
}

describe('doctor: the chain as sent, and its analysis', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'imapx-chain-'));
    root = issueCertificate(dir, { name: 'root', cn: 'Chain Root', ca: true });
    intermediate = issueCertificate(dir, { name: 'int', cn: 'Chain Intermediate', issuer: root, ca: true });
    stray = issueCertificate(dir, { name: 'stray', cn: 'Stray Intermediate', issuer: root, ca: true, start: '20240101000000Z', end: '20240201000000Z' });
    leaf = issueCertificate(dir, { name: 'leaf', cn: 'localhost', issuer: intermediate });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [label, options, expected] of [
    ['TLS 1.2, in clear text', { maxVersion: 'TLSv1.2' as const }, 'TLSv1.2'],
    ['TLS 1.3, AES-256-GCM', { ciphers: 'TLS_AES_256_GCM_SHA384' }, 'TLS_AES_256_GCM_SHA384'],
    ['TLS 1.3, AES-128-GCM', { ciphers: 'TLS_AES_128_GCM_SHA256' }, 'TLS_AES_128_GCM_SHA256'],
    ['TLS 1.3, ChaCha20-Poly1305', { ciphers: 'TLS_CHACHA20_POLY1305_SHA256' }, 'TLS_CHACHA20_POLY1305_SHA256'],
  ] as const) {
    it(`reads the certificates in the server's order under ${label}`, async () => {
      const result = await handshake(options);
      assert.ok(result.protocol === expected || result.cipher === expected, `${result.protocol} ${result.cipher}`);
      assert.deepEqual(result.certificates, ['localhost', 'Stray Intermediate', 'Chain Intermediate']);
    });
  }

  it('walks the path trust store first, names an unused expired certificate, and checks every date', () => {
    const sent = [leaf, stray, intermediate].map((c) => certFacts(c.pem));
    const anchors = [new X509Certificate(root.pem)];
    const ok = analyseChain(sent, true, anchors);
    assert.deepEqual(ok.path.map((c) => c.name), ['localhost', 'Chain Intermediate', 'Chain Root']);
    assert.deepEqual(ok.problems, []);
    assert.deepEqual(ok.warnings.map((w) => [w.code, w.certificate]), [['CERT_HAS_EXPIRED', 'Stray Intermediate']]);

    const later = analyseChain(sent, true, anchors, new Date(Date.now() + 400 * 86_400_000));
    assert.deepEqual(later.problems.map((p) => [p.code, p.role]), [['CERT_HAS_EXPIRED', 'leaf'], ['CERT_HAS_EXPIRED', 'intermediate'], ['CERT_HAS_EXPIRED', 'root']]);
    assert.match(later.problems[2].text, /^The root certificate 'Chain Root' in this computer's trust store expired on /);

    const untrusted = analyseChain(sent, true, []);
    assert.deepEqual(untrusted.problems.map((p) => [p.code, p.certificate]), [['MISSING_ISSUER', 'Chain Root']]);
  });

  it('maps Node\'s verdict codes to the problems that explain them', () => {
    assert.equal(explains('CERT_HAS_EXPIRED', 'CERT_HAS_EXPIRED'), true);
    assert.equal(explains('CERT_HAS_EXPIRED', 'MISSING_ISSUER'), false);
    assert.equal(explains('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'WRONG_ISSUER_KEY'), true);
    assert.equal(explains('UNSPECIFIED', 'NAME_CONSTRAINT_VIOLATION'), true);
    assert.equal(explains('UNSPECIFIED', 'CERT_HAS_EXPIRED'), false);
    assert.equal(explains('SOMETHING_NEW', 'CERT_HAS_EXPIRED'), false);
  });
});
