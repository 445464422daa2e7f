// `openssl s_server` as an implicit-TLS IMAP server, for the TLS variants a test wants exactly: the
// chain it sends (-cert_chain), a second certificate for one SNI name (-servername/-cert2/-key2, a
// front end that shows a placeholder without SNI), old protocol versions. s_server relays its
// standard input to the client and prints what the client sends, so this helper greets once the
// handshake is done ("CIPHER is" on its output) and answers the few commands the doctor sends
// before a login. It serves one connection at a time, as s_server does.
import { type ChildProcess, spawn } from 'node:child_process';
import { type CertFiles } from './certs';
import { freePort } from './net';
import { OPENSSL, ensurePackages } from './system';

export interface OpensslServerOptions {
  cert: CertFiles;
  /** A PEM file with the intermediates to send after the certificate (-cert_chain). */
  chain?: string;
  /** Another certificate for clients that ask for this server name (SNI); `cert` is then the default. */
  sni?: { name: string; cert: CertFiles };
  /** More s_server arguments (-tls1, -cipher...). */
  args?: string[];
  /** The address to listen on; 127.0.0.1 by default. */
  host?: string;
  greeting?: string;
  capabilities?: string;
}

export interface OpensslServer {
  host: string;
  port: number;
  /** Handshakes completed so far. */
  handshakes: number;
  /** Everything the clients sent, line by line. */
  received: string[];
  stop(): Promise<void>;
}

/** Untagged answers of an account with an empty INBOX and the usual special folders. */
const ANSWERS: Record<string, (capabilities: string) => string> = {
  CAPABILITY: (capabilities) => `* CAPABILITY ${capabilities}\r\n`,
  LIST: () => '* LIST (\\HasNoChildren) "/" INBOX\r\n* LIST (\\Sent) "/" Sent\r\n* LIST (\\Drafts) "/" Drafts\r\n* LIST (\\Trash) "/" Trash\r\n',
  STATUS: () => '* STATUS INBOX (MESSAGES 0 UNSEEN 0 UIDVALIDITY 1 UIDNEXT 1)\r\n',
  EXAMINE: () => '* 0 EXISTS\r\n',
};

export async function startOpensslImapServer(options: OpensslServerOptions): Promise<OpensslServer> {
  ensurePackages([OPENSSL]);
  const host = options.host ?? '127.0.0.1';
  const port = await freePort();
  const args = [
    's_server',
    '-accept', `${host.includes(':') ? `[${host}]` : host}:${port}`,
    '-cert', options.cert.cert,
    '-key', options.cert.key,
    ...(options.chain ? ['-cert_chain', options.chain] : []),
    ...(options.sni ? ['-servername', options.sni.name, '-cert2', options.sni.cert.cert, '-key2', options.sni.cert.key] : []),
    ...(options.args ?? []),
  ];
  const child: ChildProcess = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const capabilities = options.capabilities ?? 'IMAP4rev1 AUTH=PLAIN';
  const greeting = options.greeting ?? `* OK [CAPABILITY ${capabilities}] s_server ready`;
  const server: OpensslServer = {
    host,
    port,
    handshakes: 0,
    received: [],
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      }
    },
  };
  const send = (text: string) => child.stdin?.write(text);
  let stdout = '';
  let stderr = '';
  let ready: () => void = () => undefined;
  const accepting = new Promise<void>((resolve) => (ready = resolve));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('latin1');
    let index;
    while ((index = stdout.indexOf('\n')) >= 0) {
      const line = stdout.slice(0, index).replace(/\r$/, '');
      stdout = stdout.slice(index + 1);
      if (/^ACCEPT\b/.test(line)) {
        ready();
      } else if (/^CIPHER is /.test(line)) {
        server.handshakes++;
        send(`${greeting}\r\n`);
      } else if (server.handshakes > 0) {
        // s_server's own messages are words too: only a tagged IMAP command (D1 CAPABILITY) is one
        const command = /^([A-Z]+\d+) ([A-Z]+)/i.exec(line);
        if (command) {
          server.received.push(line);
          const [, tag, verb] = command;
          const upper = verb.toUpperCase();
          send(`${ANSWERS[upper]?.(capabilities) ?? ''}${upper === 'LOGOUT' ? '* BYE\r\n' : ''}${tag} OK ${upper} done\r\n`);
        }
      }
    }
  });
  const failed = new Promise<never>((_resolve, reject) => child.once('exit', (code) => reject(new Error(`openssl s_server exited (${code}): ${stderr}`))));
  await Promise.race([accepting, failed, new Promise((_r, reject) => setTimeout(() => reject(new Error(`openssl s_server did not start: ${stderr}`)), 10000))]);
  failed.catch(() => undefined);
  return server;
}
