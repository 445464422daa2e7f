// The connection doctor against misconfigurations people meet in the field (issue 17), each on a
// real server on loopback: certificate chains served by `openssl s_server` (an expired or a wrong
// intermediate, a missing one, name constraints, SHA-1, an SNI front end's placeholder), a host
// whose AAAA address does not answer (dnsmasq gives A and AAAA, `::1` is the IPv6 address), greetings
// that refuse, hang up, come late or are not IMAP, and a middlebox that strips STARTTLS in front of
// Dovecot. Each test asserts the verdict line, the fix, and what the app would do (Node's verdict,
// whether a password left), and the main kinds also through the CLI: exit code, text and JSON.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dnsServerResolver, type DoctorReport, reportToJson, reportToText, runDoctor } from '../../src/core/doctor';
import { chainFile, type CertFiles, issueCertificate } from '../support/certs';
import { type DoctorCertificates, doctorCertificates, runCli, statuses, stepOf } from '../support/doctor';
import { startDnsmasq, type DnsServer } from '../support/dns';
import { DEFAULT_USER, type DovecotServer, startDovecot } from '../support/dovecot';
import { type FakeServer, greetingServer, middlebox, refusingStarttlsServer, silentServer } from '../support/fakeImap';
import { freePort } from '../support/net';
import { type OpensslServerOptions, startOpensslImapServer } from '../support/opensslServer';

const PASSWORD = DEFAULT_USER.password;
const FAST = { greeting: 1500, tls: 3000, connect: 3000, command: 5000, discovery: 2000 };
const ROOT_NAME = 'Doctor Field Root';
const INTERMEDIATE = 'Doctor Field Intermediate';
/** s_server refuses to load a SHA-1 or 1024-bit certificate at OpenSSL's default security level. */
const WEAK_SERVER = ['-cipher', 'DEFAULT:@SECLEVEL=0'];

interface Chains {
  dir: string;
  root: CertFiles;
  intermediate: CertFiles;
  /** localhost, 127.0.0.1, issued by the intermediate, with an AIA pointer as public CAs give. */
  leaf: CertFiles;
  /** Same name as the intermediate, another key, expired in February 2024: what servers keep after a CA renewal. */
  oldIntermediate: CertFiles;
  leafOfOld: CertFiles;
  futureIntermediate: CertFiles;
  leafOfFuture: CertFiles;
  otherIntermediate: CertFiles;
  constrained: CertFiles;
  leafOfConstrained: CertFiles;
  sha1Leaf: CertFiles;
  weakKeyLeaf: CertFiles;
  noCertSign: CertFiles;
  leafOfNoCertSign: CertFiles;
  clientOnlyLeaf: CertFiles;
  placeholder: CertFiles;
  sniReal: CertFiles;
}

function makeChains(): Chains {
  const dir = mkdtempSync(join(tmpdir(), 'imapx-field-certs-'));
  const root = issueCertificate(dir, { name: 'root', cn: ROOT_NAME, ca: true, days: 365 });
  const intermediate = issueCertificate(dir, { name: 'int', cn: INTERMEDIATE, issuer: root, ca: true, days: 300 });
  const aia = ['authorityInfoAccess=caIssuers;URI:http://ca.field.invalid/int.der'];
  const oldIntermediate = issueCertificate(dir, { name: 'old-int', cn: INTERMEDIATE, issuer: root, ca: true, start: '20240101000000Z', end: '20240201000000Z' });
  const futureIntermediate = issueCertificate(dir, { name: 'future-int', cn: 'Doctor Field Future Intermediate', issuer: root, ca: true, start: '20991201000000Z', end: '20991231000000Z' });
  const constrained = issueCertificate(dir, { name: 'constrained', cn: 'Doctor Field Constrained CA', issuer: root, ca: true, extraExtensions: ['nameConstraints=critical,permitted;DNS:.example.org'] });
  const noCertSign = issueCertificate(dir, { name: 'no-certsign', cn: 'Doctor Field Signing Key', issuer: root, extensions: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,digitalSignature'] });
  return {
    dir,
    root,
    intermediate,
    leaf: issueCertificate(dir, { name: 'leaf', cn: 'localhost', issuer: intermediate, extraExtensions: aia }),
    oldIntermediate,
    leafOfOld: issueCertificate(dir, { name: 'leaf-of-old', cn: 'localhost', issuer: oldIntermediate }),
    futureIntermediate,
    leafOfFuture: issueCertificate(dir, { name: 'leaf-of-future', cn: 'localhost', issuer: futureIntermediate }),
    otherIntermediate: issueCertificate(dir, { name: 'other-int', cn: 'Doctor Field Other Intermediate', issuer: root, ca: true }),
    constrained,
    leafOfConstrained: issueCertificate(dir, { name: 'leaf-of-constrained', cn: 'localhost', issuer: constrained }),
    sha1Leaf: issueCertificate(dir, { name: 'sha1', cn: 'localhost', issuer: intermediate, md: 'sha1' }),
    weakKeyLeaf: issueCertificate(dir, { name: 'rsa1024', cn: 'localhost', issuer: intermediate, keyBits: 1024 }),
    noCertSign,
    leafOfNoCertSign: issueCertificate(dir, { name: 'leaf-of-no-certsign', cn: 'localhost', issuer: noCertSign }),
    clientOnlyLeaf: issueCertificate(dir, { name: 'client-only', cn: 'localhost', issuer: intermediate, extensions: ['subjectAltName=DNS:localhost,IP:127.0.0.1', 'basicConstraints=CA:FALSE', 'extendedKeyUsage=clientAuth'] }),
    placeholder: issueCertificate(dir, { name: 'placeholder', cn: 'No SNI provided', extensions: ['basicConstraints=CA:FALSE'] }),
    sniReal: issueCertificate(dir, { name: 'sni-real', cn: 'mail.sni.test', issuer: root, extensions: ['subjectAltName=DNS:mail.sni.test', 'basicConstraints=CA:FALSE', 'extendedKeyUsage=serverAuth'] }),
  };
}

let chains: Chains;

/** Runs the doctor against an s_server with the given certificate and chain, trusting the test root. */
async function diagnoseChain(options: OpensslServerOptions, extra: { ca?: string[]; target?: (port: number) => string } = {}): Promise<{ report: DoctorReport; received: string[] }> {
  const server = await startOpensslImapServer(options);
  try {
    const target = extra.target ? extra.target(server.port) : `imaps://alice@127.0.0.1:${server.port}`;
    const report = await runDoctor(target, { password: PASSWORD, ca: extra.ca ?? [chains.root.pem], timeouts: FAST });
    return { report, received: server.received };
  } finally {
    await server.stop();
  }
}

/** The password never left: no login command reached the server. */
function assertNoLogin(received: string[]): void {
  assert.ok(!received.some((l) => /LOGIN|AUTHENTICATE/i.test(l)), received.join('\n'));
}

describe('connection doctor: field failures', () => {
  before(() => {
    chains = makeChains();
  });
  after(() => {
    rmSync(chains.dir, { recursive: true, force: true });
  });

  describe('it never passes a chain the app refuses', () => {
    it('names an expired intermediate behind a valid certificate, and keeps the password home', async () => {
      const { report, received } = await diagnoseChain({ cert: chains.leafOfOld, chain: chainFile(chains.dir, 'chain-old', [chains.oldIntermediate]) });
      const tls = stepOf(report, 'imap.tls');
      assert.equal(tls.status, 'fail', statuses(report));
      assert.equal(tls.code, 'TLS_EXPIRED');
      assert.match(report.verdict.line, new RegExp(`^FAIL: IMAP: TLS and certificate: The intermediate '${INTERMEDIATE}' expired on 2024-02-01 \\(\\d+ days ago\\): install the current chain \\(fullchain\\) and reload the server\\.$`));
      assert.match(tls.fix ?? '', /^The server still sends an intermediate its CA has replaced: install the current chain \(fullchain\) and reload the server/);
      const info = report.imap!.tls!;
      assert.equal(info.verifyError, 'CERT_HAS_EXPIRED', 'Node refuses it, as the app would');
      assert.equal(info.trust, 'none');
      assert.equal(info.chainCheck.agreesWithNode, true);
      assert.deepEqual(info.chainCheck.problems.map((p) => [p.code, p.certificate, p.role]), [['CERT_HAS_EXPIRED', INTERMEDIATE, 'intermediate']]);
      assert.deepEqual(info.sentChain?.map((c) => c.name), ['localhost', INTERMEDIATE]);
      assert.equal(info.certificate.daysToExpiry > 60, true, 'the server\'s own certificate is fine');
      assert.equal(stepOf(report, 'imap.login').status, 'skip');
      assertNoLogin(received);
    });

    it('says the same through the CLI: exit 1, the verdict first, and JSON that agrees', async () => {
      const server = await startOpensslImapServer({ cert: chains.leafOfOld, chain: chainFile(chains.dir, 'chain-old-cli', [chains.oldIntermediate]) });
      try {
        const target = `imaps://alice@127.0.0.1:${server.port}`;
        const text = await runCli(['check', target, '--ca', chains.root.cert, '--timeout', '3000'], { IMAP_PASSWORD: PASSWORD });
        assert.equal(text.code, 1, text.stdout + text.stderr);
        const verdict = text.stdout.split('\n')[0];
        assert.match(verdict, new RegExp(`^FAIL: IMAP: TLS and certificate: The intermediate '${INTERMEDIATE}' expired on 2024-02-01 \\(\\d+ days ago\\): install the current chain \\(fullchain\\) and reload the server\\.$`));
        assert.match(text.stdout, /\n {2}Trusted {6}no \(CERT_HAS_EXPIRED\)\n/);
        assert.match(text.stdout, /\n {2}Node's TLS {3}refuses it \(CERT_HAS_EXPIRED\)\n/);
        assert.match(text.stdout, /Suggested fixes:\n {2}1\. The server still sends an intermediate its CA has replaced/);
        const json = await runCli(['check', target, '--ca', chains.root.cert, '--timeout', '3000', '--json'], { IMAP_PASSWORD: PASSWORD });
        assert.equal(json.code, 1);
        const report = JSON.parse(json.stdout) as DoctorReport;
        assert.equal(report.verdict.line, verdict, 'JSON and text give the same verdict');
        assert.equal(report.verdict.status, 'fail');
        assert.equal(report.imap!.tls!.verifyError, 'CERT_HAS_EXPIRED');
        assert.equal(report.imap!.tls!.chainCheck.problems[0].certificate, INTERMEDIATE);
        assert.ok(!json.stdout.includes(PASSWORD) && !text.stdout.includes(PASSWORD));
        assertNoLogin(server.received);
      } finally {
        await server.stop();
      }
    });

    it('names an intermediate that is not valid yet, and says how to tell a wrong clock', async () => {
      const { report } = await diagnoseChain({ cert: chains.leafOfFuture, chain: chainFile(chains.dir, 'chain-future', [chains.futureIntermediate]) });
      const tls = stepOf(report, 'imap.tls');
      assert.equal(report.imap!.tls!.verifyError, 'CERT_NOT_YET_VALID');
      assert.equal(tls.code, 'TLS_EXPIRED');
      assert.match(tls.summary, /^The intermediate 'Doctor Field Future Intermediate' is not valid before 2099-12-01T00:00:00\.000Z; this computer's clock says \d{4}-/);
      assert.match(tls.fix ?? '', /If this computer's clock is right, .* If the clock is wrong, set it right/);
    });

    it('names the intermediate the server does not send when it sends only its own certificate', async () => {
      const { report, received } = await diagnoseChain({ cert: chains.leaf });
      const tls = stepOf(report, 'imap.tls');
      assert.equal(report.imap!.tls!.verifyError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      assert.equal(tls.code, 'TLS_UNTRUSTED');
      assert.equal(report.verdict.line, `FAIL: IMAP: TLS and certificate: The server sends only its own certificate 'localhost', not the intermediate '${INTERMEDIATE}' that issued it: install the full chain (fullchain) and reload the server.`);
      assert.match(tls.fix ?? '', /The certificate itself names its issuer's file \(http:\/\/ca\.field\.invalid\/int\.der\): browsers fetch or cache it and hide the mistake; mail clients do not\./);
      assert.deepEqual(report.imap!.tls!.sentChain?.map((c) => c.name), ['localhost']);
      assert.equal(report.imap!.tls!.pinnable, false, 'pinning is no fix for a missing intermediate');
      assertNoLogin(received);
    });

    it('names the wrong intermediate the server sends, and the one it should send', async () => {
      const { report } = await diagnoseChain({ cert: chains.leaf, chain: chainFile(chains.dir, 'chain-other', [chains.otherIntermediate]) });
      assert.equal(report.imap!.tls!.verifyError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      assert.equal(
        stepOf(report, 'imap.tls').summary,
        `The server sends the intermediate 'Doctor Field Other Intermediate', but its certificate 'localhost' was issued by '${INTERMEDIATE}', which it does not send: the chain file belongs to another certificate; install the current chain (fullchain) and reload the server.`,
      );
      assert.deepEqual(report.imap!.tls!.sentChain?.map((c) => c.name), ['localhost', 'Doctor Field Other Intermediate'], 'Node drops it from its chain; the doctor read it from the handshake');
    });

    it('tells an old copy of the right intermediate from the right one', async () => {
      const { report } = await diagnoseChain({ cert: chains.leaf, chain: chainFile(chains.dir, 'chain-stale', [chains.oldIntermediate]) });
      assert.equal(report.imap!.tls!.verifyError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      assert.equal(report.imap!.tls!.chainCheck.problems[0].code, 'WRONG_ISSUER_KEY');
      assert.match(stepOf(report, 'imap.tls').summary, new RegExp(`^The server sends an intermediate named '${INTERMEDIATE}' \\(valid until 2024-02-01\\), but it did not sign the server's certificate: it is another certificate of the same name, typically an old one kept after the CA renewed it`));
    });

    it('explains what Node calls only UNSPECIFIED: name constraints, a SHA-1 signature, a CA key that may not sign', async () => {
      const constrained = await diagnoseChain({ cert: chains.leafOfConstrained, chain: chainFile(chains.dir, 'chain-nc', [chains.constrained]) });
      assert.equal(constrained.report.imap!.tls!.verifyError, 'UNSPECIFIED');
      assert.equal(constrained.report.imap!.tls!.chainCheck.agreesWithNode, true);
      assert.equal(stepOf(constrained.report, 'imap.tls').summary, 'The intermediate \'Doctor Field Constrained CA\' may only issue certificates for .example.org (name constraints), but the server\'s certificate \'localhost\' is for localhost, 127.0.0.1.');

      const sha1 = await diagnoseChain({ cert: chains.sha1Leaf, chain: chainFile(chains.dir, 'chain-sha1', [chains.intermediate]), args: WEAK_SERVER });
      assert.equal(sha1.report.imap!.tls!.verifyError, 'UNSPECIFIED');
      assert.equal(stepOf(sha1.report, 'imap.tls').summary, 'The server\'s certificate \'localhost\' is signed with SHA-1 with RSA, which Node\'s TLS (and so this app) refuses as too weak.');
      assert.equal(stepOf(sha1.report, 'imap.tls').fix, 'Have the certificate issued again with SHA-256.');

      const noCertSign = await diagnoseChain({ cert: chains.leafOfNoCertSign, chain: chainFile(chains.dir, 'chain-nocs', [chains.noCertSign]) });
      assert.equal(noCertSign.report.imap!.tls!.verifyError, 'UNSPECIFIED');
      assert.match(stepOf(noCertSign.report, 'imap.tls').summary, /^The intermediate 'Doctor Field Signing Key' may not sign certificates \(its key usage is digitalSignature, without keyCertSign\)\./);
    });

    it('names a certificate that is not meant for servers', async () => {
      const { report } = await diagnoseChain({ cert: chains.clientOnlyLeaf, chain: chainFile(chains.dir, 'chain-client', [chains.intermediate]) });
      assert.equal(report.imap!.tls!.verifyError, 'INVALID_PURPOSE');
      assert.equal(stepOf(report, 'imap.tls').summary, 'The server\'s certificate \'localhost\' is not meant for TLS servers (extended key usage clientAuth, without serverAuth).');
    });

    it('names a root the server sends that nobody trusts', async () => {
      const { report } = await diagnoseChain({ cert: chains.leaf, chain: chainFile(chains.dir, 'chain-with-root', [chains.intermediate, chains.root]) }, { ca: [] });
      assert.equal(report.imap!.tls!.verifyError, 'SELF_SIGNED_CERT_IN_CHAIN');
      assert.match(stepOf(report, 'imap.tls').summary, new RegExp(`^The chain ends at the root '${ROOT_NAME}', which the server sends itself but which is not in this computer's trust store\\.`));
      assert.match(stepOf(report, 'imap.tls').fix ?? '', /If 'Doctor Field Root' is your organisation's own CA, add it to the trust store/);
    });

    it('warns about an expired certificate the server sends but the chain does not need', async () => {
      const { report } = await diagnoseChain({ cert: chains.leaf, chain: chainFile(chains.dir, 'chain-extra', [chains.intermediate, chains.oldIntermediate]) });
      assert.equal(report.imap!.tls!.verifyError, null, 'the app accepts it');
      assert.equal(stepOf(report, 'imap.tls').status, 'warn');
      assert.equal(stepOf(report, 'imap.login').status, 'pass', statuses(report));
      assert.match(report.verdict.line, new RegExp(`^PASS with 1 warning: IMAP: TLS and certificate: The server also sends '${INTERMEDIATE}', which expired on 2024-02-01 and is not part of the chain: this app ignores it, but clients that follow the chain as sent may refuse it\\.`));
    });

    it('warns about a 1024-bit key the app accepts but stricter clients refuse', async () => {
      const { report } = await diagnoseChain({ cert: chains.weakKeyLeaf, chain: chainFile(chains.dir, 'chain-weak', [chains.intermediate]), args: WEAK_SERVER });
      assert.equal(report.imap!.tls!.verifyError, null);
      assert.equal(stepOf(report, 'imap.tls').status, 'warn');
      assert.match(stepOf(report, 'imap.tls').summary, /^The server's certificate 'localhost' has a 1024-bit RSA key: this app accepts it, but clients at OpenSSL security level 2 .* refuse keys under 2048 bits\./);
    });

    it('fails a pin the app could not use: a private CA\'s certificate whose root the server does not send', async () => {
      const server = await startOpensslImapServer({ cert: chains.leaf, chain: chainFile(chains.dir, 'chain-pin', [chains.intermediate]) });
      try {
        const fingerprint = new (await import('node:crypto')).X509Certificate(chains.leaf.pem).fingerprint256;
        const report = await runDoctor(`imaps://alice@127.0.0.1:${server.port}`, { password: PASSWORD, pin: fingerprint, timeouts: FAST });
        const tls = report.imap!.tls!;
        assert.deepEqual(tls.pin, { expected: fingerprint, matches: true, nodeAccepts: false });
        assert.equal(tls.verifyError, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'Node refuses the pinned chain, as the account would');
        assert.equal(tls.trust, 'none');
        assert.match(stepOf(report, 'imap.tls').summary, /^The certificate is the pinned one, but the app cannot use the pin: Node's TLS refuses the pinned chain \(UNABLE_TO_GET_ISSUER_CERT_LOCALLY\)\./);
        assert.match(stepOf(report, 'imap.tls').fix ?? '', /trust the CA instead/);
        assert.equal(stepOf(report, 'imap.login').status, 'skip');
        assertNoLogin(server.received);
      } finally {
        await server.stop();
      }
    });

    it('fails a server that only speaks TLS 1.0, naming the version', async () => {
      const { report } = await diagnoseChain({ cert: chains.leaf, chain: chainFile(chains.dir, 'chain-tls1', [chains.intermediate]), args: ['-tls1', '-cipher', 'DEFAULT:@SECLEVEL=0'] });
      const tls = stepOf(report, 'imap.tls');
      assert.equal(tls.code, 'TLS_FAILED', statuses(report));
      assert.equal(report.imap!.tls!.protocol, 'TLSv1');
      assert.match(report.verdict.line, /^FAIL: IMAP: TLS and certificate: The server only speaks TLSv1, which is outdated and insecure \(RFC 8996\); this app, like current mail clients, needs TLS 1\.2 or newer\.$/);
    });

    it('says when the server wants a client certificate', async () => {
      const { report } = await diagnoseChain({ cert: chains.leaf, chain: chainFile(chains.dir, 'chain-mtls', [chains.intermediate]), args: ['-Verify', '1', '-CAfile', chains.root.cert] });
      const tls = stepOf(report, 'imap.tls');
      assert.equal(tls.status, 'fail', statuses(report));
      assert.match(tls.summary, /^The server wants a client certificate, which this app does not send/);
    });
  });

  describe('every address of a host', () => {
    let dns: DnsServer;
    let dovecot: DovecotServer;
    let certs: DoctorCertificates;
    const fakes: FakeServer[] = [];
    let v6Port: number;
    let silentPort: number;
    let twoCertsPort: number;

    before(async () => {
      certs = doctorCertificates();
      dovecot = await startDovecot({ certificateFiles: { cert: certs.good, ca: certs.ca } });
      // an IMAP server on ::1 only, another port where ::1 accepts and says nothing, a third where each family shows its own certificate
      v6Port = await freePort();
      fakes.push(await greetingServer({ greeting: '* OK [CAPABILITY IMAP4rev1 STARTTLS] v6 only', host: '::1', port: v6Port }));
      silentPort = await freePort();
      fakes.push(await greetingServer({ greeting: '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] v4 ready', port: silentPort }));
      fakes.push(await silentServer('::1', silentPort));
      twoCertsPort = await freePort();
      fakes.push(await greetingServer({ greeting: '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] current', tls: certs.good, port: twoCertsPort }));
      fakes.push(await greetingServer({ greeting: '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] the old one', tls: certs.otherHost, host: '::1', port: twoCertsPort }));
      dns = await startDnsmasq({
        zones: ['dual.test', 'v6only.test', 'silent6.test', 'twocerts.test'],
        hosts: [
          { name: 'dual.test', address: '127.0.0.1' },
          { name: 'dual.test', address: '::1' },
          { name: 'v6only.test', address: '127.0.0.1' },
          { name: 'v6only.test', address: '::1' },
          { name: 'silent6.test', address: '127.0.0.1' },
          { name: 'silent6.test', address: '::1' },
          { name: 'twocerts.test', address: '127.0.0.1' },
          { name: 'twocerts.test', address: '::1' },
        ],
      });
    });
    after(async () => {
      await dns?.stop();
      await dovecot?.stop();
      await Promise.all(fakes.map((f) => f.close()));
      rmSync(certs.dir, { recursive: true, force: true });
    });

    it('warns in the verdict when the AAAA address does not answer while IPv4 works, and logs in over IPv4', async () => {
      const report = await runDoctor(`imaps://alice@dual.test:${dovecot.imapsPort}`, { password: PASSWORD, ca: [certs.ca.pem], resolver: dnsServerResolver([dns.server]), timeouts: FAST });
      const expected = `PASS with 1 warning: IMAP: TCP connection: IPv6 address ::1 does not answer on port ${dovecot.imapsPort} (connection refused); IPv4 works: fix IPv6 or remove the AAAA record.`;
      assert.equal(report.verdict.line, expected, statuses(report));
      assert.equal(report.verdict.status, 'warn');
      const tcp = stepOf(report, 'imap.tcp');
      assert.equal(tcp.status, 'warn');
      assert.match(tcp.fix ?? '', /^Nothing listens on ::1 port \d+: make the server listen there too \(Dovecot: listen = \*, ::/);
      assert.deepEqual(report.imap!.addresses.map((a) => [a.address, a.family, a.connected, a.error]), [['127.0.0.1', 4, true, null], ['::1', 6, false, 'connection refused']]);
      assert.equal(report.imap!.address, '127.0.0.1');
      assert.equal(stepOf(report, 'imap.login').status, 'pass');

      // the CLI says the same, in text and JSON, and exits 0 for a warning
      const text = await runCli(['check', `imaps://alice@dual.test:${dovecot.imapsPort}`, '--dns', dns.server, '--ca', certs.ca.cert, '--timeout', '3000'], { IMAP_PASSWORD: PASSWORD });
      assert.equal(text.code, 0, text.stdout + text.stderr);
      assert.equal(text.stdout.split('\n')[0], expected);
      assert.match(text.stdout, /WARN {2}IMAP: TCP connection +\d+ms {2}IPv6 address ::1 does not answer/);
      assert.match(text.stdout, /IPv6 ::1: did not connect; connection refused/, 'the failed attempt is in the text too, not only in the JSON');
      const json = await runCli(['check', `imaps://alice@dual.test:${dovecot.imapsPort}`, '--dns', dns.server, '--ca', certs.ca.cert, '--timeout', '3000', '--json'], { IMAP_PASSWORD: PASSWORD });
      assert.equal(json.code, 0);
      assert.equal((JSON.parse(json.stdout) as DoctorReport).verdict.line, expected);
    });

    it('says it the other way round when only IPv6 answers', async () => {
      const report = await runDoctor(`imap://v6only.test:${v6Port}`, { resolver: dnsServerResolver([dns.server]), timeouts: FAST });
      const tcp = stepOf(report, 'imap.tcp');
      assert.equal(tcp.status, 'warn', statuses(report));
      assert.equal(tcp.summary, `IPv4 address 127.0.0.1 does not answer on port ${v6Port} (connection refused); IPv6 works: fix IPv4 or remove the A record.`);
      assert.equal(report.imap!.address, '::1', 'the check goes on with the address that answers');
    });

    it('warns about an AAAA address that accepts connections but never greets', async () => {
      const report = await runDoctor(`imap://silent6.test:${silentPort}`, { resolver: dnsServerResolver([dns.server]), timeouts: FAST });
      const tcp = stepOf(report, 'imap.tcp');
      assert.equal(tcp.status, 'warn', statuses(report));
      assert.equal(tcp.summary, `IPv6 address ::1 does not answer on port ${silentPort} (connects, but sends no greeting within 1500 ms); IPv4 works: fix IPv6 or remove the AAAA record.`);
      assert.match(tcp.fix ?? '', /^Something on ::1 accepts the connection but is not the mail server/);
    });

    it('warns when the addresses show different certificates', async () => {
      const report = await runDoctor(`imaps://twocerts.test:${twoCertsPort}`, { resolver: dnsServerResolver([dns.server]), ca: [certs.ca.pem], timeouts: FAST });
      const tcp = stepOf(report, 'imap.tcp');
      assert.equal(tcp.status, 'warn', statuses(report));
      assert.match(tcp.summary, new RegExp(`^The addresses of twocerts\\.test answer with different certificates on port ${twoCertsPort}: 127\\.0\\.0\\.1 shows "CN=localhost", ::1 shows "CN=localhost"`));
      assert.deepEqual(new Set(report.imap!.addresses.map((a) => a.certificate)).size, 2);
    });
  });

  describe('advice that fits the evidence', () => {
    let dns: DnsServer;
    before(async () => {
      dns = await startDnsmasq({ zones: ['sni.test'], hosts: [{ name: 'mail.sni.test', address: '127.0.0.1' }] });
    });
    after(async () => {
      await dns?.stop();
    });

    it('says an IP address sends no server name to an SNI front end, and never suggests pinning its placeholder', async () => {
      const server = await startOpensslImapServer({ cert: chains.placeholder, sni: { name: 'mail.sni.test', cert: chains.sniReal }, chain: chainFile(chains.dir, 'chain-sni', [chains.intermediate]) });
      try {
        const report = await runDoctor(`imaps://alice@127.0.0.1:${server.port}`, { password: PASSWORD, ca: [chains.root.pem], timeouts: FAST });
        const tls = stepOf(report, 'imap.tls');
        assert.equal(tls.code, 'TLS_HOSTNAME', statuses(report));
        assert.match(report.verdict.line, /^FAIL: IMAP: TLS and certificate: No server name was sent \(SNI\) because 127\.0\.0\.1 is an IP address, and the server answered with a certificate for "No SNI provided" \(self-signed\), not for 127\.0\.0\.1: a server that hosts several names picks its certificate by the name the client sends, and shows a default without one\.$/);
        assert.match(tls.fix ?? '', /^Connect by the server's host name, not by its IP address/);
        assert.ok(!/--pin|Trust this certificate/.test(tls.fix ?? ''), tls.fix);
        assert.ok(!report.fixes.some((f) => /--pin|Trust this certificate/.test(f)), report.fixes.join('\n'));
        assert.equal(report.imap!.tls!.sniSent, false);
        assert.equal(report.imap!.tls!.pinnable, false, 'the report offers no pinning');
        assertNoLogin(server.received);
        const cli = await runCli(['check', `imaps://127.0.0.1:${server.port}`, '--ca', chains.root.cert, '--timeout', '3000', '--json']);
        assert.equal(cli.code, 1);
        const json = JSON.parse(cli.stdout) as DoctorReport;
        assert.equal(json.verdict.line, report.verdict.line);
        assert.equal(json.steps.find((st) => st.id === 'imap.tls')?.fix, tls.fix);

        // by its name, the same server shows its real certificate and passes
        const byName = await runDoctor(`imaps://mail.sni.test:${server.port}`, { ca: [chains.root.pem], resolver: dnsServerResolver([dns.server]), timeouts: FAST });
        assert.equal(stepOf(byName, 'imap.tls').status, 'pass', statuses(byName));
        assert.equal(byName.imap!.tls!.sniSent, true);
        assert.match(byName.imap!.tls!.certificate.subject, /CN=mail\.sni\.test/);
      } finally {
        await server.stop();
      }
    });

    it('quotes a "* NO" greeting that refuses this address, and says to wait or ask the administrator', async () => {
      const fake = await greetingServer({ greeting: '* NO Intrusion prevention active for 127.0.0.1' });
      try {
        const target = `imap://alice@127.0.0.1:${fake.port}`;
        const report = await runDoctor(target, { password: PASSWORD, timeouts: FAST });
        const greeting = stepOf(report, 'imap.greeting');
        assert.equal(greeting.code, 'SERVER_NO');
        const expected = 'FAIL: IMAP: greeting: The server refuses connections from this computer\'s address: "* NO Intrusion prevention active for 127.0.0.1" (127.0.0.1 is the server address this computer reached).';
        assert.equal(report.verdict.line, expected);
        assert.match(greeting.fix ?? '', /Wait \(often 10 to 60 minutes\) before trying again, or ask the server's administrator to unblock your address/);
        assert.ok(!/Check the port/.test(greeting.fix ?? ''));
        assert.equal(fake.received.length, 0, 'nothing was sent after the refusal');

        const cli = await runCli(['check', target, '--timeout', '3000']);
        assert.equal(cli.code, 1);
        assert.equal(cli.stdout.split('\n')[0], expected);
        const json = await runCli(['check', target, '--timeout', '3000', '--json']);
        assert.equal((JSON.parse(json.stdout) as DoctorReport).verdict.line, expected);
      } finally {
        await fake.close();
      }
    });

    it('says when the server greets and then hangs up, instead of blaming STARTTLS', async () => {
      const fake = await greetingServer({ greeting: '* OK [CAPABILITY IMAP4rev1 STARTTLS] ready', then: 'close' });
      try {
        const report = await runDoctor(`imap://alice@127.0.0.1:${fake.port}`, { password: PASSWORD, timeouts: FAST });
        const greeting = stepOf(report, 'imap.greeting');
        assert.equal(greeting.status, 'fail', statuses(report));
        assert.equal(greeting.code, 'DISCONNECTED');
        assert.match(report.verdict.line, /^FAIL: IMAP: greeting: The server closed the connection \d+ ms after its greeting, before answering STARTTLS and without a word: it is overloaded, limits the connections it accepts, or blocks this address\.$/);
        assert.match(greeting.fix ?? '', /^Try again in a few minutes; if it keeps happening, close other mail clients of this account and ask the administrator/);
        assert.equal(stepOf(report, 'imap.mode').status, 'skip', 'STARTTLS is not blamed');
        const cli = await runCli(['check', `imap://127.0.0.1:${fake.port}`, '--timeout', '3000']);
        assert.equal(cli.code, 1);
        assert.match(cli.stdout, /^FAIL: IMAP: greeting: The server closed the connection \d+ ms after its greeting, before answering STARTTLS and without a word/);
        assert.match(cli.stdout, /Suggested fixes:\n {2}1\. Try again in a few minutes/);
      } finally {
        await fake.close();
      }
      // over TLS, with the reason the server gave before it closed
      const certs = doctorCertificates();
      const tls = await greetingServer({ greeting: '* OK ready\r\n* BYE Too many connections from your IP', tls: certs.good, then: 'close' });
      try {
        const report = await runDoctor(`imaps://127.0.0.1:${tls.port}`, { ca: [certs.ca.pem], timeouts: FAST });
        const greeting = stepOf(report, 'imap.greeting');
        assert.equal(greeting.status, 'fail', statuses(report));
        assert.match(greeting.summary, /^The server closed the connection \d+ ms after its greeting, before answering CAPABILITY, saying "BYE Too many connections from your IP": /);
        assert.equal(stepOf(report, 'imap.capability').status, 'skip');
      } finally {
        await tls.close();
        rmSync(certs.dir, { recursive: true, force: true });
      }
    });

    it('says a middlebox stripped STARTTLS when the server disables login without TLS, and sends no password', async () => {
      // Dovecot treats a client with its own address as secure: listen on 127.0.0.2, relay from 127.0.0.1
      const certs = doctorCertificates();
      const strict = await startDovecot({ listen: '127.0.0.2', extraConfig: 'disable_plaintext_auth = yes\n', certificateFiles: { cert: certs.good, ca: certs.ca } });
      const masking = await middlebox({ host: '127.0.0.2', port: strict.imapPort }, (text) => text.replace(/STARTTLS/g, 'XXXXXXXX'));
      const removing = await middlebox({ host: '127.0.0.2', port: strict.imapPort }, (text) => text.replace(/ STARTTLS/g, ''));
      try {
        const masked = await runDoctor(`imap://alice@127.0.0.1:${masking.port}`, { password: PASSWORD, ca: [certs.ca.pem], timeouts: FAST });
        const mode = stepOf(masked, 'imap.mode');
        assert.equal(mode.code, 'STARTTLS_UNAVAILABLE', statuses(masked));
        assert.equal(masked.verdict.line, `FAIL: IMAP: security mode: STARTTLS is missing on port ${masking.port}, and something between this computer and the server probably removed it: the capability list holds "XXXXXXXX" where STARTTLS would be (firewalls that inspect mail overwrite it like that).`);
        assert.match(mode.fix ?? '', /^Use TLS on port 993 \(imaps:\/\/127\.0\.0\.1:993\), which a middlebox cannot strip, or try from another network\./);
        assert.ok(!/enable TLS on the server/i.test(mode.fix ?? ''));

        const removed = await runDoctor(`imap://alice@127.0.0.1:${removing.port}`, { password: PASSWORD, ca: [certs.ca.pem], timeouts: FAST });
        assert.match(stepOf(removed, 'imap.mode').summary, /^STARTTLS is missing on port \d+, and something between this computer and the server probably removed it: the server announces LOGINDISABLED, so it wants TLS before any password, yet it does not announce STARTTLS\./);

        // without TLS asked for, the login step says the same instead of "use STARTTLS"
        const plain = await runDoctor({ host: '127.0.0.1', port: removing.port, security: 'none', user: 'alice' }, { password: PASSWORD, timeouts: FAST });
        const login = stepOf(plain, 'imap.login');
        assert.equal(login.code, 'LOGIN_DISABLED', statuses(plain));
        assert.match(login.summary, /something between this computer and the server probably removed it/);
        for (const report of [masked, removed, plain]) {
          assert.ok(!report.transcript.some((l) => l.dir === 'C' && /LOGIN|AUTHENTICATE/.test(l.text)), 'no password was sent');
        }
        assert.ok(!readFileSync(join(strict.dir, 'dovecot.log'), 'utf8').includes('auth failed'));
      } finally {
        await masking.close();
        await removing.close();
        await strict.stop();
        rmSync(certs.dir, { recursive: true, force: true });
      }
    });

    it('tells STARTTLS answered with BAD (not understood) from NO (refused)', async () => {
      const bad = await refusingStarttlsServer('BAD Unknown command');
      const no = await refusingStarttlsServer('NO [UNAVAILABLE] TLS support not configured');
      try {
        const badReport = await runDoctor(`imap://alice@127.0.0.1:${bad.port}`, { password: PASSWORD, timeouts: FAST });
        assert.equal(badReport.verdict.line, 'FAIL: IMAP: security mode: The server announces STARTTLS but does not understand it: it answered "BAD Unknown command".');
        assert.match(stepOf(badReport, 'imap.mode').fix ?? '', /^Two causes fit: something on the way rewrites the command .* if the same happens from another network, the server is at fault\./);
        const noReport = await runDoctor(`imap://alice@127.0.0.1:${no.port}`, { password: PASSWORD, timeouts: FAST });
        assert.equal(noReport.verdict.line, 'FAIL: IMAP: security mode: The server announces STARTTLS but refused it: "NO TLS support not configured".');
        assert.match(stepOf(noReport, 'imap.mode').fix ?? '', /its certificate or key cannot be loaded/);
        assert.ok(![...bad.received, ...no.received].some((l) => /LOGIN|AUTHENTICATE/.test(l)));
      } finally {
        await bad.close();
        await no.close();
      }
    });

    it('says "unexpected answer" for an 8-bit garbage greeting instead of guessing', async () => {
      const fake = await greetingServer({ greeting: Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x9b, 0x1b]), Buffer.from('[2Jgarbage\xe9\r\n', 'latin1')]) });
      try {
        const report = await runDoctor(`imap://127.0.0.1:${fake.port}`, { timeouts: FAST });
        const greeting = stepOf(report, 'imap.greeting');
        assert.equal(greeting.code, 'WRONG_PROTOCOL', statuses(report));
        assert.match(greeting.summary, /^Unexpected answer: the server's first line is not an IMAP greeting: "/);
        assert.ok(!/[\u0000-\u0008\u001b\u009b]/.test(reportToText(report, { transcript: true })), 'control characters are shown escaped');
        assert.ok(greeting.summary.includes('\\x1b'), greeting.summary);
      } finally {
        await fake.close();
      }
    });

    it('warns about a greeting that takes seconds, with the timing', async () => {
      const fake = await greetingServer({ greeting: '* OK [CAPABILITY IMAP4rev1 STARTTLS] slow but ready', delayMs: 3500 });
      try {
        const report = await runDoctor(`imap://127.0.0.1:${fake.port}`, { timeouts: { ...FAST, greeting: 15000 } });
        const greeting = stepOf(report, 'imap.greeting');
        assert.equal(greeting.status, 'warn', statuses(report));
        const took = /^The server took (\d+) ms to greet \(this app waits up to 15 s; some clients give up sooner\)\./.exec(greeting.summary);
        assert.ok(took, greeting.summary);
        // The fake server's 3,500 ms starts at its 'connection' event and Node timers fire on a
        // millisecond clock, while the doctor's clock starts on its own side of the socket: the two
        // differ by a few ms either way (CI measured 3,499). The timing must be the delay, not a
        // rounded or default number.
        assert.ok(Number(took[1]) >= 3400 && Number(took[1]) < 15000, greeting.summary);
        assert.match(greeting.fix ?? '', /reverse DNS/);
      } finally {
        await fake.close();
      }
    });

    it('says which usual port is open when the one asked for is closed', async () => {
      const closed = await freePort();
      const open = await greetingServer({ greeting: '* OK [CAPABILITY IMAP4rev1 STARTTLS] ready' });
      try {
        const report = await runDoctor(`imaps://127.0.0.1:${closed}`, { timeouts: FAST, guessPorts: { tls: closed, starttls: open.port } });
        const tcp = stepOf(report, 'imap.tcp');
        assert.equal(tcp.code, 'CONNECTION_REFUSED');
        assert.equal(tcp.summary, `Connection refused on port ${closed}: nothing listens there, or a firewall rejects it. Port ${open.port} of the same address does accept connections, so the host is up and port ${closed} is closed there.`);
        assert.equal(tcp.fix, `Use STARTTLS on port ${open.port} (imap://127.0.0.1:${open.port}), which is open, or ask the administrator to open port ${closed}.`);
      } finally {
        await open.close();
      }
    });

    it('recognises a greeting that is another protocol\'s', async () => {
      const fake = await greetingServer({ greeting: 'SSH-2.0-OpenSSH_9.2p1 Debian-2' });
      try {
        const report = await runDoctor(`imap://127.0.0.1:${fake.port}`, { timeouts: FAST });
        assert.equal(stepOf(report, 'imap.greeting').summary, `An SSH server answers on port ${fake.port}, not an IMAP server: "SSH-2.0-OpenSSH_9.2p1 Debian-2".`);
      } finally {
        await fake.close();
      }
    });

    it('keeps JSON and text in agreement: every failed and warned step shows its evidence in both', async () => {
      const fake = await greetingServer({ greeting: '* BYE [UNAVAILABLE] Server shutting down' });
      try {
        const report = await runDoctor(`imap://127.0.0.1:${fake.port}`, { timeouts: FAST });
        const text = reportToText(report);
        const json = JSON.parse(reportToJson(report)) as DoctorReport;
        assert.equal(text.split('\n')[0], json.verdict.line);
        for (const step of json.steps.filter((s) => s.status === 'fail' || s.status === 'warn')) {
          assert.ok(text.includes(step.summary), step.summary);
          for (const detail of step.details) {
            assert.ok(text.includes(detail), detail);
          }
          if (step.fix) {
            assert.ok(text.includes(step.fix), step.fix);
          }
        }
        assert.match(json.verdict.line, /^FAIL: IMAP: greeting: The server closed the connection as soon as it opened: "\* BYE \[UNAVAILABLE\] Server shutting down"\.$/);
      } finally {
        await fake.close();
      }
    });
  });
});
