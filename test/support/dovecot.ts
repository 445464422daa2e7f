// A private Dovecot for tests, the demo and the benchmark: its own config, users, certificate and
// loopback ports, in a temporary folder. Recipe: ../../../shared/RECIPES.md, section 1.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caSignedCert, type CertFiles, selfSignedCert, testCa } from './certs';
import { freePort, waitForPort } from './net';
import { DOVECOT, OPENSSL, ensurePackages } from './system';

export interface DovecotUser {
  name: string;
  password: string;
}

export interface DovecotOptions {
  users?: DovecotUser[];
  /** 'ca' (default): a certificate signed by a test CA the caller can trust; 'self-signed'. */
  certificate?: 'ca' | 'self-signed';
  /** Replaces the post-login CAPABILITY list (Dovecot's imap_capability), e.g. to hide MOVE. */
  imapCapability?: string;
  /** Extra config lines, appended as they are. */
  extraConfig?: string;
  /** Reuse this folder (and the mail in it) instead of a fresh temporary one. */
  dir?: string;
  /** Listen on this loopback address instead of 127.0.0.1 (Dovecot treats a client whose address equals its own as secure). */
  listen?: string;
  /** Use these files instead of making a certificate (an expired one, one for another host name...). */
  certificateFiles?: { cert: CertFiles; ca?: CertFiles };
  /**
   * OAuth 2.0 logins (`passdb { driver = oauth2 }`): tokens are checked at this introspection URL
   * (RFC 7662, POST). `mechanisms` default to OAUTHBEARER and XOAUTH2; `scope` makes Dovecot
   * require that scope in the token; `passwords: false` turns password logins off.
   */
  oauth2?: { introspectionUrl: string; mechanisms?: Array<'oauthbearer' | 'xoauth2'>; scope?: string; passwords?: boolean };
}

function oauth2Config(dir: string, options: NonNullable<DovecotOptions['oauth2']>): { mechanisms: string; passdb: string } {
  const mechanisms = options.mechanisms ?? ['oauthbearer', 'xoauth2'];
  writeFileSync(
    join(dir, 'dovecot-oauth2.conf.ext'),
    [
      `introspection_url = ${options.introspectionUrl}`,
      'introspection_mode = post',
      'force_introspection = yes',
      'username_attribute = sub',
      'active_attribute = active',
      'active_value = true',
      ...(options.scope ? [`scope = ${options.scope}`] : []),
      'debug = yes',
      '',
    ].join('\n'),
  );
  const passwords = options.passwords !== false;
  return {
    mechanisms: [...(passwords ? ['plain', 'login'] : []), ...mechanisms].join(' '),
    passdb: `passdb {
  driver = oauth2
  mechanisms = ${mechanisms.join(' ')}
  args = ${dir}/dovecot-oauth2.conf.ext
}
`,
  };
}

export interface DovecotServer {
  host: string;
  /** Plain IMAP with STARTTLS. */
  imapPort: number;
  /** Implicit TLS. */
  imapsPort: number;
  dir: string;
  conf: string;
  /** The test CA that signed the server certificate (certificate: 'ca'). */
  ca: CertFiles | undefined;
  cert: CertFiles;
  users: DovecotUser[];
  homeOf(user: string): string;
  doveadm(args: string[], input?: string | Buffer): string;
  /** Fixes ownership after files were written into a user's Maildir directly. */
  chownMail(): void;
  /** Closes every session of the user, as an admin would (`doveadm kick`). */
  kick(user: string): void;
  /**
   * Changes a user's password in the passwd-file and resolves once Dovecot itself accepts the new
   * one (`doveadm auth test`). Dovecot re-reads the file at most once a second, when its mtime or
   * size changed: for a moment after the write, logins may still see the old password.
   */
  setPassword(user: string, password: string): Promise<void>;
  /** Rewrites the config with other options and restarts, keeping ports, mail and certificate. */
  restart(options?: Pick<DovecotOptions, 'imapCapability' | 'extraConfig' | 'oauth2'>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * How many lines of Dovecot's log match `pattern`, once at least `atLeast` do (or 10 s passed).
 * Dovecot logs a login's end when the client hangs up, a moment after the client has its answer;
 * the count is taken half a second later still, so an extra line would be seen too.
 */
export async function logCount(server: DovecotServer, pattern: RegExp, atLeast: number): Promise<number> {
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  const count = () => (readFileSync(join(server.dir, 'dovecot.log'), 'utf8').match(global) ?? []).length;
  const deadline = Date.now() + 10000;
  while (count() < atLeast && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  return count();
}

export const DEFAULT_USER: DovecotUser = { name: 'alice', password: 'correct horse battery staple' };

function dovecotIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'dovecot']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'dovecot']).toString().trim());
  return { uid, gid };
}

function renderConfig(dir: string, ports: { imap: number; imaps: number }, cert: CertFiles, options: DovecotOptions, listen: string): string {
  const oauth2 = options.oauth2 ? oauth2Config(dir, options.oauth2) : undefined;
  const capability = options.imapCapability ? `protocol imap {\n  imap_capability = ${options.imapCapability}\n}\n` : '';
  return `base_dir = ${dir}/run
state_dir = ${dir}/run/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = ${listen}
ssl = yes
ssl_cert = <${cert.cert}
ssl_key = <${cert.key}
mail_location = maildir:~/Maildir
auth_mechanisms = ${oauth2?.mechanisms ?? 'plain login'}
first_valid_uid = 0
disable_plaintext_auth = no
mail_max_userip_connections = 50
${oauth2?.passdb ?? ''}passdb {
  driver = passwd-file
  args = ${dir}/users${oauth2 ? '\n  mechanisms = plain login' : ''}
}
userdb {
  driver = passwd-file
  args = ${dir}/users
}
service imap-login {
  chroot =
  inet_listener imap {
    port = ${ports.imap}
  }
  inet_listener imaps {
    port = ${ports.imaps}
    ssl = yes
  }
}
# Brute-force penalty off: after failed logins from an IP Dovecot delays every later login from it,
# right ones too, by up to 15 s, so one test's wrong passwords would slow the next test's logins.
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
namespace inbox {
  inbox = yes
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}
${capability}${options.extraConfig ?? ''}
`;
}

export async function startDovecot(options: DovecotOptions = {}): Promise<DovecotServer> {
  ensurePackages([DOVECOT, OPENSSL]);
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'imapx-dovecot-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'run'), { recursive: true });
  mkdirSync(join(dir, 'ssl'), { recursive: true });
  mkdirSync(join(dir, 'mail'), { recursive: true });
  const users = options.users ?? [DEFAULT_USER];
  const { uid, gid } = dovecotIds();
  const homeOf = (user: string) => join(dir, 'mail', user);
  writeFileSync(join(dir, 'users'), users.map((u) => `${u.name}:{PLAIN}${u.password}:${uid}:${gid}::${homeOf(u.name)}\n`).join(''));
  for (const user of users) {
    mkdirSync(join(homeOf(user.name), 'Maildir'), { recursive: true });
  }

  let ca: CertFiles | undefined;
  let cert: CertFiles;
  const sslDir = join(dir, 'ssl');
  if (options.certificateFiles) {
    cert = options.certificateFiles.cert;
    ca = options.certificateFiles.ca;
  } else if (existsSync(join(sslDir, 'server.pem'))) {
    cert = { cert: join(sslDir, 'server.pem'), key: join(sslDir, 'server.key'), pem: readFileSync(join(sslDir, 'server.pem'), 'utf8') };
    ca = existsSync(join(sslDir, 'ca.pem')) ? { cert: join(sslDir, 'ca.pem'), key: join(sslDir, 'ca.key'), pem: readFileSync(join(sslDir, 'ca.pem'), 'utf8') } : undefined;
  } else if (options.certificate === 'self-signed') {
    cert = selfSignedCert(sslDir, 'server');
  } else {
    ca = testCa(sslDir);
    cert = caSignedCert(sslDir, ca);
  }

  const ports = { imap: await freePort(), imaps: await freePort() };
  const conf = join(dir, 'dovecot.conf');
  let current: DovecotOptions = options;
  const listen = options.listen ?? '127.0.0.1';

  const doveadm = (args: string[], input?: string | Buffer): string => {
    const result = spawnSync('doveadm', ['-c', conf, ...args], { input, maxBuffer: 64 * 1024 * 1024 });
    if (result.status !== 0) {
      throw new Error(`doveadm ${args.join(' ')} failed: ${result.stderr.toString()}`);
    }
    return result.stdout.toString();
  };
  const chownMail = () => execFileSync('chown', ['-R', `${uid}:${gid}`, join(dir, 'mail')]);

  const launch = async () => {
    writeFileSync(conf, renderConfig(dir, ports, cert, current, listen));
    chownMail();
    // The master daemonizes and its child keeps inherited pipes open: never give it ours.
    const result = spawnSync('dovecot', ['-c', conf], { stdio: ['ignore', 'ignore', 'ignore'] });
    if (result.status !== 0) {
      throw new Error(`dovecot did not start (exit ${result.status}):\n${readLog()}`);
    }
    await waitForPort(ports.imap, 15000, listen);
    await waitForPort(ports.imaps, 15000, listen);
    // the daemonized master writes its pid file on its own schedule: a restart right after this
    // one must find it, or it would stop nothing and the next start would meet a running master
    // (the file can exist before its number is written: wait for the number itself)
    for (const deadline = Date.now() + 10000; masterPid() === undefined && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  /**
   * The master's pid from its pid file, or undefined while the file is missing or not yet written.
   * Never 0 or negative: `process.kill(0, ...)` signals our own process group, test runner and CI
   * script included (a half-written pid file once ended a whole CI run with SIGTERM).
   */
  const masterPid = (): number | undefined => {
    const pidFile = join(dir, 'run', 'master.pid');
    if (!existsSync(pidFile)) {
      return undefined;
    }
    const text = readFileSync(pidFile, 'utf8').trim();
    const pid = /^\d+$/.test(text) ? Number(text) : NaN;
    return Number.isSafeInteger(pid) && pid > 1 ? pid : undefined;
  };
  const readLog = () => (existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : '');
  const shutdown = async () => {
    const pidFile = join(dir, 'run', 'master.pid');
    if (!existsSync(pidFile)) {
      return;
    }
    let pid = masterPid();
    for (const deadline = Date.now() + 10000; pid === undefined && existsSync(pidFile) && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 20));
      pid = masterPid();
    }
    if (pid === undefined) {
      throw new Error(`dovecot's pid file ${pidFile} holds no pid: not stopping anything`);
    }
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      try {
        process.kill(pid, 0);
      } catch {
        rmSync(pidFile, { force: true });
        return;
      }
      await new Promise((r) => setTimeout(r, 30));
    }
    process.kill(pid, 'SIGKILL');
    rmSync(pidFile, { force: true });
  };

  await launch();
  return {
    host: listen,
    imapPort: ports.imap,
    imapsPort: ports.imaps,
    dir,
    conf,
    ca,
    cert,
    users,
    homeOf,
    doveadm,
    chownMail,
    kick: (user) => {
      // exits non-zero when the user had no session: nothing to kick is fine
      spawnSync('doveadm', ['-c', conf, 'kick', user]);
    },
    setPassword: async (user, password) => {
      const file = join(dir, 'users');
      const before = statSync(file).mtimeMs;
      const lines = readFileSync(file, 'utf8').split('\n');
      const at = lines.findIndex((line) => line.startsWith(`${user}:`));
      assert.ok(at >= 0, `${user} is a user of this server`);
      const fields = lines[at].split(':');
      fields[1] = `{PLAIN}${password}`;
      lines[at] = fields.join(':');
      writeFileSync(file, lines.join('\n'));
      // a later whole second than the old file's, so that Dovecot sees a change even at the same size
      const mtime = Math.max(Date.now(), Math.floor(before / 1000) * 1000 + 1000) / 1000;
      utimesSync(file, mtime, mtime);
      const deadline = Date.now() + 15_000;
      while (spawnSync('doveadm', ['-c', conf, 'auth', 'test', user, password]).status !== 0) {
        assert.ok(Date.now() < deadline, `Dovecot did not take the new password of ${user}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    restart: async (next = {}) => {
      await shutdown();
      current = { ...options, ...next };
      await launch();
    },
    stop: async () => {
      await shutdown();
      if (!options.dir) {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
