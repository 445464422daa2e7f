// Measures, on each test server (Dovecot, Cyrus in both namespace layouts), what the extension
// relies on: the capabilities before TLS and after login, the personal namespace, and how the
// server answers the commands where servers differ (a bare-LF APPEND, CREATE of a taken name,
// DELETE of a parent and of a special-use folder). Prints a Markdown table; the integration tests
// assert the same behaviours (test/support/servers.ts `quirks`).
//
// Usage: npx tsx test/support/serverMatrix.ts   (IMAPX_SERVERS=dovecot,cyrus,cyrus-classic limits it)
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { type ImapFlow } from 'imapflow';
import { type MailServer, serverKinds, startMailServer, withClient } from './servers';

/** The capabilities the extension uses, in the order the table shows them. */
const WATCHED = ['IDLE', 'MOVE', 'UIDPLUS', 'CONDSTORE', 'QRESYNC', 'LIST-STATUS', 'SPECIAL-USE', 'BINARY', 'LITERAL+', 'NAMESPACE', 'ESEARCH', 'COMPRESS=DEFLATE', 'SASL-IR'];

/** The greeting and CAPABILITY of the plain port, before any TLS (RFC 3501 6.1.1, 7.2.1). */
async function plainCapabilities(server: MailServer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.imapPort, server.host);
    let text = '';
    let asked = false;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (!asked && text.includes('\r\n')) {
        asked = true;
        socket.write('m1 CAPABILITY\r\n');
      }
      const done = /\r\nm1 (?:OK|NO|BAD)[^\r]*\r\n/.exec(text);
      if (done) {
        socket.end('m2 LOGOUT\r\n');
        const line = text.split('\r\n').find((l) => l.startsWith('* CAPABILITY ')) ?? '';
        resolve(line.slice('* CAPABILITY '.length).split(' '));
      }
    });
    socket.on('error', reject);
  });
}

/** The server's answer to one command, as "OK", or "NO [CODE] text". */
async function answer(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
    return 'OK';
  } catch (err) {
    const e = err as { responseStatus?: string; serverResponseCode?: string; responseText?: string; message?: string };
    return `${e.responseStatus ?? 'error'}${e.serverResponseCode ? ` [${e.serverResponseCode}]` : ''} ${e.responseText ?? e.message ?? ''}`.trim();
  }
}

interface Row {
  server: string;
  version: string;
  beforeTls: string[];
  afterLogin: Set<string>;
  namespace: string;
  bareLfAppend: string;
  createTaken: string;
  deleteParent: string;
  deleteSpecial: string;
}

async function measure(server: MailServer): Promise<Row> {
  const beforeTls = await plainCapabilities(server);
  return withClient(server, async (client: ImapFlow) => {
    const afterLogin = new Set([...client.capabilities.keys()]);
    const ns = client.namespace;
    const parent = server.folder('MatrixParent');
    const child = server.folder('MatrixParent', 'Child');
    await client.mailboxCreate(parent);
    await client.mailboxCreate(child);
    const row: Row = {
      server: server.label,
      version: server.cyrus ? `Cyrus ${server.cyrus.version}` : `Dovecot ${execFileSync('/usr/sbin/dovecot', ['--version']).toString().trim()}`,
      beforeTls,
      afterLogin,
      namespace: `"${ns?.prefix ?? ''}", "${ns?.delimiter ?? ''}"`,
      // imapflow throws on NO only for some commands: append() resolves false on a refusal
      bareLfAppend: await answer(async () => {
        if (!(await client.append('INBOX', Buffer.from('Subject: bare LF\n\nbody\n')))) {
          throw Object.assign(new Error('refused'), { responseStatus: 'NO', responseText: 'refused' });
        }
      }),
      createTaken: await answer(async () => {
        const made = await client.mailboxCreate(parent);
        if (!made.created) {
          throw Object.assign(new Error('exists'), { responseStatus: 'NO', serverResponseCode: 'ALREADYEXISTS', responseText: '(imapflow: created false)' });
        }
      }),
      deleteParent: await answer(() => client.mailboxDelete(parent)),
      deleteSpecial: await answer(() => client.mailboxDelete(server.special.junk)),
    };
    return row;
  });
}

function table(rows: Row[]): string {
  const header = ['', ...rows.map((r) => r.server)];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const out = [line(header), line(header.map(() => '---'))];
  out.push(line(['server', ...rows.map((r) => r.version)]));
  out.push(line(['plain port before TLS', ...rows.map((r) => ['STARTTLS', 'LOGINDISABLED'].filter((c) => r.beforeTls.includes(c)).join(' ') + ` (AUTH: ${r.beforeTls.filter((c) => c.startsWith('AUTH=')).map((c) => c.slice(5)).join(' ') || 'none'})`)]));
  for (const capability of WATCHED) {
    out.push(line([capability, ...rows.map((r) => (r.afterLogin.has(capability) ? 'yes' : 'no'))]));
  }
  out.push(line(['personal namespace (prefix, delimiter)', ...rows.map((r) => r.namespace)]));
  out.push(line(['APPEND with bare LF', ...rows.map((r) => r.bareLfAppend)]));
  out.push(line(['CREATE of a taken name', ...rows.map((r) => r.createTaken)]));
  out.push(line(['DELETE of a folder with a subfolder', ...rows.map((r) => r.deleteParent)]));
  out.push(line(['DELETE of the special-use Junk', ...rows.map((r) => r.deleteSpecial)]));
  return out.join('\n');
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const kind of serverKinds()) {
    const server = await startMailServer(kind);
    try {
      rows.push(await measure(server));
    } finally {
      await server.stop();
    }
  }
  process.stdout.write(`${table(rows)}\n`);
}

void main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exitCode = 1;
});
