// `npm run demo`: a private Dovecot with a realistic bug-report inbox, an SMTP sink, a "remote"
// web server for the newsletter's images, and code-server with the extension and a demo account.
// Prints the URL and the password; Ctrl+C stops everything and leaves nothing running.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCodeServer } from '../e2e/codeServer';
import { DOVECOT, ensurePackages } from '../support/system';
import { startDovecot } from '../support/dovecot';
import { freePort } from '../support/net';
import { createFolders, seedBulkFolder, seedFixtures } from '../support/seed';
import { startSmtpSink } from '../support/smtp';
import { bannerPng, demoBanner } from './banner';
import { demoMessages, releaseNote } from './mailbox';

const PASSWORD = 'demo-password-2026';

async function main(): Promise<void> {
  ensurePackages([DOVECOT]);
  const cleanups: Array<() => Promise<void> | void> = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) {
      return;
    }
    stopping = true;
    process.stdout.write('\nStopping the demo...\n');
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        process.stderr.write(`  (cleanup step failed: ${err instanceof Error ? err.message : String(err)})\n`);
      }
    }
    process.stdout.write('Stopped. Nothing is left running.\n');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    const banner = bannerPng();
    const pixel = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
    let remoteRequests = 0;
    const web = createServer((req, res) => {
      remoteRequests++;
      process.stdout.write(`  [remote content] ${req.method} ${req.url} (request ${remoteRequests}: only after "Load for this message")\n`);
      res.writeHead(200, { 'content-type': req.url?.endsWith('.png') ? 'image/png' : 'image/gif', 'cache-control': 'no-store' });
      res.end(req.url?.endsWith('.png') ? banner : pixel);
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => web.close(() => resolve())));
    const webAddress = web.address();
    const remoteOrigin = `http://127.0.0.1:${typeof webAddress === 'object' && webAddress ? webAddress.port : 0}`;

    const server = await startDovecot({ users: [{ name: 'triage', password: PASSWORD }], certificate: 'self-signed' });
    cleanups.push(() => server.stop());
    createFolders(server, 'triage', ['Triage', 'Triage.Needs repro', 'Triage.Confirmed', 'Done']);
    seedFixtures(server, 'triage', await demoMessages(remoteOrigin));
    seedBulkFolder(server, 'triage', 'Releases', 300, releaseNote);
    const fingerprint = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', server.cert.cert]).toString().trim().split('=')[1];

    const smtp = await startSmtpSink({ tls: { cert: server.cert.cert, key: server.cert.key }, credentials: { user: 'triage', pass: PASSWORD }, onMail: (mail) => process.stdout.write(`  [smtp sink] message from ${mail.from} to ${mail.to.join(', ')} (${mail.raw.length} bytes)\n`) });
    cleanups.push(() => smtp.close());

    const workspace = mkdtempSync(join(tmpdir(), 'imapx-demo-workspace-'));
    cleanups.push(() => rmSync(workspace, { recursive: true, force: true }));
    mkdirSync(join(workspace, 'saved-mail'), { recursive: true });
    const sample = (await demoMessages(remoteOrigin))[0];
    writeFileSync(join(workspace, 'saved-mail', 'crash-report.eml'), sample.raw);
    writeFileSync(join(workspace, 'README.md'), '# Demo workspace\n\nOpen the Mail view in the activity bar. `saved-mail/crash-report.eml` opens in the same safe message view.\n');

    const port = Number(process.env.DEMO_PORT) || (await freePort());
    const vscode = await startCodeServer({
      port,
      workspace,
      settings: {
        'workbench.colorTheme': 'Default Dark Modern',
        // the demo's newsletter images come from a server on this machine
        'imapExplorer.remoteContent.allowPrivateNetwork': true,
        'imapExplorer.accounts': [
          { id: 'demo', email: 'triage@demo.test', displayName: 'Triage Team', label: 'Demo: bug-report inbox', imap: { host: '127.0.0.1', port: server.imapsPort, security: 'tls', user: 'triage' }, smtp: { host: '127.0.0.1', port: smtp.port, security: 'starttls' }, pinnedCertificate: fingerprint },
        ],
      },
    });
    cleanups.push(() => vscode.stop());

    process.stdout.write(demoBanner({ url: vscode.url, email: 'triage@demo.test', user: 'triage', password: PASSWORD, host: '127.0.0.1', imapsPort: server.imapsPort, smtpPort: smtp.port, remoteOrigin }));
  } catch (err) {
    process.stderr.write(`The demo could not start: ${err instanceof Error ? err.message : String(err)}\n`);
    await stop(1);
  }
}

void main();
