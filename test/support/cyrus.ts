// A private Cyrus IMAP 3.6 for tests: its own imapd.conf, cyrus.conf, SASL users, certificate and
// loopback ports in a temporary folder, nothing in /etc used or changed. Cyrus is the server family
// behind Fastmail and is stricter than Dovecot (it refuses bare LF in APPEND, answers CREATE of an
// existing folder without [ALREADYEXISTS], protects special-use folders).
//
// Two namespace layouts:
// - 'altnamespace' (upstream 3.x default): folders beside INBOX, "/" as the separator;
// - 'classic' (Debian's packaged default): every folder under INBOX, "." as the separator.
//
// Packages: test/support/cyrus-install.sh (cyrus-common from apt, imapd and idled out of the
// cyrus-imapd package, which conflicts with dovecot-imapd). `.ci/run` runs it; so does this module
// when run as root and they are missing.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { caSignedCert, type CertFiles, testCa } from './certs';
import { DEFAULT_USER, type DovecotUser } from './dovecot';
import { freePort, waitForPort } from './net';
import { OPENSSL, ensurePackages } from './system';

export type CyrusLayout = 'altnamespace' | 'classic';

export interface CyrusOptions {
  layout?: CyrusLayout;
  users?: DovecotUser[];
  /** Keep Cyrus's per-user protocol transcripts in `<dir>/conf/log/<user>/` (for debugging). */
  telemetry?: boolean;
}

export interface CyrusServer {
  layout: CyrusLayout;
  host: string;
  /** Plain IMAP where login needs STARTTLS first: the greeting announces LOGINDISABLED. */
  imapPort: number;
  /** Implicit TLS. */
  imapsPort: number;
  /** Plain IMAP with cleartext login allowed: only for the fault-injection proxy, never for real use. */
  plainPort: number;
  dir: string;
  /** The test CA that signed the server certificate. */
  ca: CertFiles;
  cert: CertFiles;
  users: DovecotUser[];
  /** The imapd version from the greeting's package, e.g. "3.6.1-4+deb12u5". */
  version: string;
  stop(): Promise<void>;
}

const REPO_ROOT = resolve(__dirname, '..', '..');
const INSTALL = join(__dirname, 'cyrus-install.sh');
const MASTER = '/usr/lib/cyrus/bin/master';
const CTL_CYRUSDB = '/usr/lib/cyrus/bin/ctl_cyrusdb';
const SASLPASSWD2 = '/usr/sbin/saslpasswd2';

/** Where imapd and idled are (installing them first when missing and allowed). */
function cyrusBinaries(): string {
  const bin = join(REPO_ROOT, '.cache', 'cyrus-imapd', 'bin');
  if (existsSync(join(bin, 'imapd')) && existsSync(MASTER) && existsSync(SASLPASSWD2)) {
    return bin;
  }
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    throw new Error(`Cyrus IMAP is not installed. Run as root: ${INSTALL}`);
  }
  process.stderr.write('Installing Cyrus IMAP (cyrus-common, sasl2-bin, imapd from cyrus-imapd)...\n');
  return execFileSync('sh', [INSTALL], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();
}

function cyrusIds(): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', 'cyrus']).toString().trim()),
    gid: Number(execFileSync('getent', ['group', 'mail']).toString().split(':')[2]),
  };
}

function imapdConf(dir: string, layout: CyrusLayout, cert: CertFiles): string {
  const alt = layout === 'altnamespace' ? 'yes' : 'no';
  return `configdirectory: ${dir}/conf
defaultpartition: default
partition-default: ${dir}/spool
proc_path: ${dir}/run/proc
mboxname_lockpath: ${dir}/run/lock
idlesocket: ${dir}/run/idle
lmtpsocket: ${dir}/run/lmtp
notifysocket: ${dir}/run/notify
servername: localhost
syslog_prefix: imapx-cyrus
altnamespace: ${alt}
unixhierarchysep: ${alt}
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: ${dir}/conf/sasldb2
sasl_mech_list: PLAIN LOGIN
allowplaintext: no
imapplain_allowplaintext: yes
tls_server_cert: ${cert.cert}
tls_server_key: ${cert.key}
tls_sessions_db_path: ${dir}/conf/tls_sessions.db
autocreate_quota: 0
autocreate_inbox_folders: Sent | Drafts | Trash | Junk | Archive
autocreate_subscribe_folders: Sent | Drafts | Trash | Junk | Archive
xlist-sent: Sent
xlist-drafts: Drafts
xlist-trash: Trash
xlist-junk: Junk
xlist-archive: Archive
specialusealways: 1
hashimapspool: true
umask: 077
`;
}

function cyrusConf(dir: string, bin: string, ports: { imap: number; imaps: number; plain: number }): string {
  // master's own -C does not reach its children: every cmd passes the config itself
  const c = `-C ${dir}/imapd.conf`;
  return `START {
  recover       cmd="${CTL_CYRUSDB} ${c} -r"
}
SERVICES {
  imap          cmd="${bin}/imapd ${c}" listen="127.0.0.1:${ports.imap}" proto="tcp4" prefork=0
  imaps         cmd="${bin}/imapd ${c} -s" listen="127.0.0.1:${ports.imaps}" proto="tcp4" prefork=0
  imapplain     cmd="${bin}/imapd ${c}" listen="127.0.0.1:${ports.plain}" proto="tcp4" prefork=0
}
EVENTS {
  checkpoint    cmd="${CTL_CYRUSDB} ${c} -c" period=30
}
DAEMON {
  idled         cmd="${bin}/idled ${c}"
}
`;
}

/** Starts a private Cyrus master with three loopback listeners (STARTTLS, TLS, cleartext for the proxy). */
export async function startCyrus(options: CyrusOptions = {}): Promise<CyrusServer> {
  ensurePackages([OPENSSL]);
  const bin = cyrusBinaries();
  const layout = options.layout ?? 'altnamespace';
  const users = options.users ?? [DEFAULT_USER];
  const dir = mkdtempSync(join(tmpdir(), 'imapx-cyrus-'));
  const { uid, gid } = cyrusIds();
  execFileSync('chmod', ['755', dir]);
  // master runs as root only to bind; imapd runs as cyrus:mail and owns everything it writes
  const owned = ['conf', 'conf/db', 'conf/socket', 'conf/msg', 'conf/log', 'spool', 'run', 'tls'];
  for (const sub of owned) {
    mkdirSync(join(dir, sub), { recursive: true });
  }
  if (options.telemetry) {
    for (const user of users) {
      mkdirSync(join(dir, 'conf', 'log', user.name), { recursive: true });
    }
  }
  const ca = testCa(join(dir, 'tls'));
  const cert = caSignedCert(join(dir, 'tls'), ca);
  writeFileSync(join(dir, 'imapd.conf'), imapdConf(dir, layout, cert));
  const ports = { imap: await freePort(), imaps: await freePort(), plain: await freePort() };
  writeFileSync(join(dir, 'cyrus.conf'), cyrusConf(dir, bin, ports));
  for (const user of users) {
    // the SASL realm must equal servername: imapd asks for user@localhost
    const made = spawnSync(SASLPASSWD2, ['-f', join(dir, 'conf', 'sasldb2'), '-u', 'localhost', '-p', '-c', user.name], { input: user.password });
    if (made.status !== 0) {
      throw new Error(`saslpasswd2 failed: ${made.stderr.toString()}`);
    }
  }
  execFileSync('chown', ['-R', `${uid}:${gid}`, join(dir, 'conf'), join(dir, 'spool'), join(dir, 'run'), join(dir, 'tls')]);
  execFileSync('chmod', ['-R', 'go-rwx', join(dir, 'tls')]);

  // Without -d master stays in the foreground: it is our child, stopped by its PID.
  const master: ChildProcess = spawn(MASTER, ['-C', join(dir, 'imapd.conf'), '-M', join(dir, 'cyrus.conf'), '-p', join(dir, 'run', 'master.pid'), '-L', join(dir, 'master.log')], {
    stdio: ['ignore', 'ignore', 'ignore'],
    detached: true,
  });
  master.unref();
  const exited = new Promise<void>((done) => master.once('exit', () => done()));
  // a test run that ends without stop() (a crash, a timeout) must not leave a server behind
  const orphan = () => {
    master.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', orphan);
  const readLog = () => (existsSync(join(dir, 'master.log')) ? readFileSync(join(dir, 'master.log'), 'utf8') : '');
  try {
    for (const port of [ports.imap, ports.imaps, ports.plain]) {
      await waitForPort(port, 15000);
    }
  } catch (err) {
    master.kill('SIGKILL');
    throw new Error(`Cyrus master did not start: ${String(err)}\n${readLog()}`);
  }
  const version = readFileSync(join(bin, '..', 'version'), 'utf8').trim();

  return {
    layout,
    host: '127.0.0.1',
    imapPort: ports.imap,
    imapsPort: ports.imaps,
    plainPort: ports.plain,
    dir,
    ca,
    cert,
    users,
    version,
    stop: async () => {
      process.removeListener('exit', orphan);
      if (master.exitCode === null && master.signalCode === null) {
        // SIGTERM to master stops every service it started
        master.kill('SIGTERM');
        const timer = setTimeout(() => master.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
