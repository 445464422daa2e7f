// `imap-explorer check` as a user runs it: spawned as the built `dist/cli.js` (what `npx imap-explorer` runs; `npm test` builds it first), against real
// Dovecot and smtp-server instances. Exit codes 0 / 1 / 2, the JSON and Markdown output, and the
// password prompt on a real terminal (util-linux `script` gives the command a pty).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DoctorReport } from '../../src/core/doctor';
import { selfSignedCert } from '../support/certs';
import { type DoctorCertificates, doctorCertificates, opensslFingerprint } from '../support/doctor';
import { DEFAULT_USER, type DovecotServer, startDovecot } from '../support/dovecot';
import { freePort } from '../support/net';
import { startSmtpSink, type SmtpSink } from '../support/smtp';

const ROOT = join(__dirname, '..', '..');
const PASSWORD = DEFAULT_USER.password;
const CLI = join(ROOT, 'dist', 'cli.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a user who set no password variables. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ['IMAP_PASSWORD', 'SMTP_PASSWORD']) {
    if (!(name in extra)) {
      delete env[name];
    }
  }
  return env;
}

function collect(child: ReturnType<typeof spawn>, onOutput?: (text: string) => void): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    onOutput?.(stdout);
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return collect(spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }));
}

let certs: DoctorCertificates;
let server: DovecotServer;
let selfSigned: DovecotServer;
let smtp: SmtpSink;
const smtpLogins: string[] = [];

describe('imap-explorer check (CLI)', () => {
  before(async () => {
    assert.ok(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`);
    certs = doctorCertificates();
    server = await startDovecot({ certificateFiles: { cert: certs.good, ca: certs.ca } });
    // self-signed and valid for 3 more days: trusted only by its pin, and about to expire
    const shortLived = selfSignedCert(mkdtempSync(join(tmpdir(), 'imapx-short-')), 'server', undefined, 3);
    selfSigned = await startDovecot({ certificateFiles: { cert: shortLived } });
    smtp = await startSmtpSink({
      disabledCommands: [],
      disableReverseLookup: true,
      key: readFileSync(certs.good.key),
      cert: readFileSync(certs.good.cert),
      authOptional: false,
      onAuth(auth, _session, callback) {
        smtpLogins.push(`${auth.username}:${auth.password === 'smtp-secret-1234' ? 'right' : 'wrong'}`);
        callback(auth.password === 'smtp-secret-1234' ? null : new Error('Invalid username or password'), { user: auth.username });
      },
    });
  });
  after(async () => {
    await server?.stop();
    await selfSigned?.stop();
    await smtp?.close();
    rmSync(certs.dir, { recursive: true, force: true });
  });

  it('exits 0 and prints only the JSON report with --json when everything passes', async () => {
    const run = await cli(['check', `imaps://alice@127.0.0.1:${server.imapsPort}`, '--ca', certs.ca.cert, '--smtp', `smtp://127.0.0.1:${smtp.port}`, '--json', '--timeout', '5000'], {
      IMAP_PASSWORD: PASSWORD,
      SMTP_PASSWORD: 'smtp-secret-1234',
    });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const report = JSON.parse(run.stdout) as DoctorReport;
    assert.equal(report.schema, 'imap-explorer-doctor/1');
    assert.equal(report.verdict.status, 'pass', report.verdict.line);
    assert.equal(report.steps.find((s) => s.id === 'imap.login')?.status, 'pass');
    assert.equal(report.steps.find((s) => s.id === 'smtp.login')?.status, 'pass');
    assert.deepEqual(smtpLogins, ['alice:right'], 'SMTP used SMTP_PASSWORD and the IMAP user');
    assert.ok(report.commands.includes(`openssl s_client -connect 127.0.0.1:${server.imapsPort} -CAfile ${certs.ca.cert}`), report.commands.join('\n'));
    for (const text of [run.stdout, run.stderr]) {
      assert.ok(!text.includes(PASSWORD) && !text.includes('smtp-secret-1234'));
    }
    assert.doesNotMatch(run.stderr, /PASS|FAIL/, 'no progress lines around --json');
  });

  it('exits 0 on warnings: a pinned self-signed certificate that expires soon', async () => {
    const fingerprint = opensslFingerprint(selfSigned.cert.cert);
    const run = await cli(['check', `imaps://alice@127.0.0.1:${selfSigned.imapsPort}`, '--pin', fingerprint], { IMAP_PASSWORD: PASSWORD });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^PASS with 1 warning: IMAP: TLS and certificate: .*trusted because it matches the pinned fingerprint, but it expires in \d days/);
    assert.match(run.stdout, /\nPASS {2}IMAP: login +\d+ms {2}Logged in as alice/);
  });

  it('exits 1 on a failure and says what failed', async () => {
    const run = await cli(['check', `imaps://alice@127.0.0.1:${selfSigned.imapsPort}`], { IMAP_PASSWORD: PASSWORD });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^FAIL: IMAP: TLS and certificate: The server's certificate 'localhost' is self-signed: no certificate authority vouches for it/);
    assert.ok(run.stdout.includes(opensslFingerprint(selfSigned.cert.cert)), 'the fingerprint to compare is printed');
    assert.match(run.stdout, /SKIP {2}IMAP: login +The password was not sent/);

    const closed = await freePort();
    const json = await cli(['check', `127.0.0.1:${closed}`, '--json']);
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stdout) as DoctorReport;
    assert.equal(report.steps.find((s) => s.id === 'imap.tcp')?.code, 'CONNECTION_REFUSED');
    assert.match(report.verdict.line, /^FAIL: IMAP: TCP connection: Connection refused on port \d+: nothing listens there/);
  });

  it('exits 2 on bad usage, with the usage text', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /Missing the command/],
      [['check'], /Missing the server to check/],
      [['verify', 'imaps://host'], /Unknown command "verify"/],
      [['check', 'ftp://host'], /Use imaps:\/\/ \(TLS\) or imap:\/\/ \(STARTTLS\), not ftp:\/\//],
      [['check', 'imaps://host', '--timeout', 'soon'], /--timeout takes milliseconds/],
      [['check', 'imaps://host', '--pin', 'abc'], /--pin takes a SHA-256 fingerprint/],
      [['check', 'imaps://host', '--bogus'], /Unknown option '--bogus'/],
      [['check', 'imaps://alice:hunter2hunter2@host'], /Do not put the password in the address/],
      [['check', 'imaps://host', '--ca', '/nonexistent/ca.pem'], /Cannot read the --ca file \/nonexistent\/ca\.pem: ENOENT/],
      [['check', 'imaps://host', '--smtp', 'http://host'], /Use smtps:\/\/ \(TLS\) or smtp:\/\/ \(STARTTLS\), not http:\/\//],
      [['check', 'imaps://host', '--dns', 'ns1.example.org'], /--dns takes the IP address of a DNS server, with an optional port/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    runs.forEach((run, i) => {
      const [args, message] = cases[i];
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message, args.join(' '));
      assert.match(run.stderr, /Usage: imap-explorer check <server> \[options\]/);
      assert.equal(run.stdout, '');
      assert.ok(!run.stderr.includes('hunter2hunter2'));
    });

    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: imap-explorer check <server> \[options\]/);
    assert.match(help.stdout, /Exit status: 0 all checks passed \(warnings allowed\), 1 a check failed, 2 bad usage\./);
  });

  it('prints a Markdown report for a bug report with --markdown', async () => {
    const run = await cli(['check', `imap://alice@127.0.0.1:${server.imapPort}`, '--ca', certs.ca.cert, '--markdown'], { IMAP_PASSWORD: PASSWORD });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^## IMAP Mailbox Explorer connection report\n\n\*\*PASS: all 11 checks passed\.\*\*/);
    assert.match(run.stdout, /\| ✅ PASS \| IMAP: security mode \| \d+ ms \| STARTTLS is offered and accepted on port \d+\. \|/);
    assert.match(run.stdout, /### Protocol transcript[\s\S]*```text\n[\s\S]*C D\d+ AUTHENTICATE PLAIN \(redacted\)/);
    assert.ok(run.stdout.includes(`openssl s_client -connect 127.0.0.1:${server.imapPort} -starttls imap -CAfile ${certs.ca.cert}`));
    assert.ok(!run.stdout.includes(PASSWORD));
  });

  it('asks for the password on a terminal without echoing it', async () => {
    const command = `${process.execPath} ${CLI} check imaps://alice@127.0.0.1:${server.imapsPort} --ca ${certs.ca.cert}`;
    let answered = false;
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const run = await collect(child, (out) => {
      if (!answered && /IMAP password for alice \(Enter to skip the login\): /.test(out)) {
        answered = true;
        child.stdin?.write(`${PASSWORD}\r`);
      }
    });
    assert.ok(answered, run.stdout);
    assert.equal(run.code, 0, run.stdout);
    assert.ok(!run.stdout.includes(PASSWORD), 'the typed password is not echoed');
    assert.match(run.stdout, /PASS {2}IMAP: login +\d+ms {2}Logged in as alice \(AUTHENTICATE PLAIN\)/);
  });
});
