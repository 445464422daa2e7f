// The draft editor in a real VS Code (code-server) against Dovecot and an SMTP sink: a reply's tab
// reads its subject (no storage path in the tab, the breadcrumb or the window title), the draft is
// on disk as it is typed and comes back after a reload, the "Attach:" line attaches a workspace
// file, and what is sent and filed in Sent is canonical (CRLF). Screenshots in test-results/.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { type Browser, type Page } from 'playwright-core';
import { checkCanonical } from '../../src/core/compose/canonical';
import { compose } from '../fixtures/mail';
import { DEFAULT_USER, type DovecotServer, startDovecot } from '../support/dovecot';
import { appendMessages, dovecotServer, heldMessages, type MailServer } from '../support/servers';
import { type SmtpSink, startSmtpSink } from '../support/smtp';
import { launchChromium, openWorkbench } from './browser';
import { type CodeServer, startCodeServer } from './codeServer';
import { expandRow, Journal, openMailView, runCommand, setColorTheme, treeRow, recordStep } from './workbench';

const SUBJECT = '[Bug] Crash when opening settings (v2.3.1)';
const REPLY_TITLE = `Re: ${SUBJECT}`;

let dovecot: DovecotServer;
let server: MailServer;
let smtp: SmtpSink;
let vscode: CodeServer;
let browser: Browser;
let page: Page;
let workspace: string;

function draftsOnDisk(): string[] {
  const dir = join(vscode.userDataDir, 'User', 'globalStorage', 'imap-explorer.imap-mailbox-explorer', 'drafts');
  return readdirSync(dir).filter((f) => f.endsWith('.maildraft')).map((f) => readFileSync(join(dir, f), 'utf8'));
}

/** Everything the extension logged (its output channel's files, all sessions of this code-server). */
function extensionLog(): string {
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  return walk(vscode.logsDir).filter((f) => f.endsWith('IMAP Mailbox Explorer.log')).map((f) => readFileSync(f, 'utf8')).join('\n');
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function journey(name: string, body: (journal: Journal) => Promise<void>): Promise<void> {
  return recordStep(page, vscode.logsDir, name, body);
}

/** What the editor shows, as a person reads it (Monaco renders spaces as U+00A0). */
async function editorText(): Promise<string> {
  return (await page.locator('.editor-instance .monaco-editor .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
}

describe('writing mail in VS Code', { timeout: 10 * 60 * 1000 }, () => {
  before(async () => {
    dovecot = await startDovecot();
    server = dovecotServer(dovecot);
    await appendMessages(server, 'INBOX', [{ raw: await compose({ from: 'Dana Reporter <dana@reporter.test>', to: 'alice@example.test', subject: SUBJECT, messageId: '<crash-231@reporter.test>', text: 'Opening Settings crashes the app.\n\n  at Settings.open (settings.ts:12:3)\n' }) }]);
    smtp = await startSmtpSink({ tls: { cert: server.cert.cert, key: server.cert.key }, credentials: { user: DEFAULT_USER.name, pass: DEFAULT_USER.password } });
    workspace = join(dovecot.dir, 'workspace');
    mkdirSync(join(workspace, 'logs'), { recursive: true });
    writeFileSync(join(workspace, 'logs', 'crash.log'), 'Settings.open failed\nat settings.ts:12:3\n');
    vscode = await startCodeServer({
      workspace,
      env: { NODE_EXTRA_CA_CERTS: server.ca.cert },
      settings: {
        'workbench.colorTheme': 'Default Dark Modern',
        'window.dialogStyle': 'custom',
        'imapExplorer.accounts': [{ id: 'alice', email: 'alice@example.test', displayName: 'Alice Admin', imap: { host: 'localhost', port: server.imapsPort, security: 'tls', user: DEFAULT_USER.name }, smtp: { host: 'localhost', port: smtp.port, security: 'starttls' } }],
      },
    });
    browser = await launchChromium();
    page = await openWorkbench(browser, vscode.url);
    await openMailView(page);
    // the account's row that asks for the password (its wording is the tree's: "Enter password", "Sign in")
    await expandRow(page, /alice@example\.test/);
    await treeRow(page, /Enter password|Sign in/i).click();
    const input = page.locator('.quick-input-widget input[type="password"]');
    await input.waitFor();
    await input.fill(DEFAULT_USER.password);
    await input.press('Enter');
  });

  after(async () => {
    await browser?.close();
    await vscode?.stop();
    await smtp?.close();
    await dovecot?.stop();
  });

  it('a reply opens in a tab titled by its subject, is kept on disk, survives a reload, attaches by its Attach line and is sent canonical', async () => {
    await journey('compose-reply', async (journal) => {
      await expandRow(page, /alice@example\.test/);
      await expandRow(page, /^INBOX$/);
      await treeRow(page, SUBJECT).click();
      await page.keyboard.press('r');
      const tab = page.locator('.tabs-container .tab.active');
      await tab.locator('.label-name', { hasText: REPLY_TITLE }).waitFor();
      assert.equal((await tab.locator('.label-name').innerText()).trim(), REPLY_TITLE);
      await until('the draft text', async () => /Subject: Re: \[Bug\] Crash when opening settings/.test(await editorText()));
      const text = await editorText();
      assert.match(text, /^Attach:\s*$/m, 'the Attach line is there to be filled in');
      // nothing of the storage shows: not in the tab, the breadcrumb, the window title
      const breadcrumbs = await page.locator('.breadcrumbs-control').first().innerText();
      for (const shown of [await tab.innerText(), breadcrumbs, await page.title()]) {
        assert.doesNotMatch(shown, /maildraft|globalStorage|drafts|imap-draft|re-bug-crash/i, shown);
      }
      assert.match(breadcrumbs, /Re: \[Bug\] Crash when opening settings/);
      // named without the .maildraft extension, it still is a mail draft: highlighting, CodeLens, Ctrl+Enter
      await page.locator('.statusbar-item', { hasText: 'Mail Draft' }).first().waitFor();
      await page.locator('.codelens-decoration', { hasText: 'Send' }).first().waitFor();
      await journal.shot('reply-tab');

      // the body first (the cursor starts there), then the Attach line
      await page.keyboard.type('We have a fix in 2.3.2.');
      await page.keyboard.press('Control+Home');
      for (let i = 0; i < 5; i++) {
        await page.keyboard.press('ArrowDown');
      }
      await page.keyboard.press('End');
      // the Attach line completes file names from the workspace folder
      await page.keyboard.type(' lo');
      const suggestion = (label: string) => page.locator('.suggest-widget .monaco-list-row', { hasText: label }).first();
      await suggestion('logs/').waitFor();
      await journal.shot('attach-completion');
      await page.keyboard.press('Enter');
      await suggestion('crash.log').waitFor();
      await page.keyboard.press('Enter');
      await until('the Attach line', async () => /^Attach: logs\/crash\.log$/m.test(await editorText()));
      await until('the draft on disk', () => draftsOnDisk().some((d) => d.includes('We have a fix in 2.3.2.') && /^Attach: logs\/crash\.log$/m.test(d)));
      await journal.shot('typed');

      // a reload restores the tab, its title and its text from the draft file system
      await page.reload();
      await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
      await page.locator('.tabs-container .tab .label-name', { hasText: REPLY_TITLE }).first().click();
      await until('the restored text', async () => (await editorText()).includes('We have a fix in 2.3.2.'));
      await page.locator('.statusbar-item', { hasText: 'Mail Draft' }).first().waitFor();
      await journal.shot('restored');
      // the draft is open: nothing offers it again
      await page.locator('.codelens-decoration', { hasText: 'Send' }).first().waitFor();
      await until('the check for unsent drafts after the reload', () => extensionLog().includes('Unsent drafts: 1 on disk, 0 not open'), 30000);
      assert.equal(await page.locator('.notifications-toasts .notification-toast', { hasText: /unsent draft/ }).count(), 0, 'no offer to open a draft that is open');

      await setColorTheme(page, 'Default Light Modern');
      await journal.shot('reply-tab-light');
      await setColorTheme(page, 'Default Dark Modern');

      await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+Enter');
      await until('the message at the SMTP server', () => smtp.received.length === 1);
      const raw = smtp.received[0].raw;
      assert.deepEqual((await checkCanonical(raw)).problems, []);
      const mail = await simpleParser(raw);
      assert.equal(mail.subject, REPLY_TITLE);
      assert.equal(mail.inReplyTo, '<crash-231@reporter.test>');
      assert.match(mail.text ?? '', /^We have a fix in 2\.3\.2\./);
      assert.deepEqual(mail.attachments.map((a) => [a.filename, a.content.toString()]), [['crash.log', 'Settings.open failed\nat settings.ts:12:3\n']]);
      await page.locator('.tabs-container .tab', { hasText: REPLY_TITLE }).waitFor({ state: 'detached' });
      await until('the copy in Sent', async () => (await heldMessages(server, 'Sent')).some((m) => m.subject === REPLY_TITLE));
      const [copy] = await heldMessages(server, 'Sent', { source: true });
      assert.doesNotMatch(copy.raw!.toString('latin1'), /(?<!\r)\n/, 'the Sent copy has CRLF line ends only');
      assert.deepEqual(draftsOnDisk(), [], 'the sent draft is gone from disk');
      await journal.shot('sent');
    });
  });

  it('a new message reads "New Message" until it has a subject', async () => {
    await journey('compose-new', async (journal) => {
      await runCommand(page, 'Mail: New Message');
      const tab = page.locator('.tabs-container .tab.active');
      await tab.locator('.label-name', { hasText: 'New Message' }).waitFor();
      assert.match(await editorText(), /^Attach:\s*$/m);
      await journal.shot('new-message');
      await runCommand(page, 'Mail: Discard Draft');
      await page.locator('.monaco-dialog-box').getByRole('button', { name: 'Discard Draft' }).click();
      await tab.locator('.label-name', { hasText: 'New Message' }).waitFor({ state: 'detached' });
      // the tab closes first, then the command deletes the draft file
      await until('the draft gone from disk', () => draftsOnDisk().length === 0);
    });
  });
});
