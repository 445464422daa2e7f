// Sender text on VS Code's own surfaces, in a real VS Code (code-server) against a real Dovecot:
// an attachment named like a command link and a subject written as one never become links, and
// the command never runs; an attachment is opened as text (a notebook too), never by an editor
// that runs content; a trusted sender's remote content loads only when the account's own server
// vouched for the sender; folders are named one way; dates read in the display language; the
// inline Flag icon shows its key.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { DisplayFormat } from '../../src/core/dates';
import { safeFileName } from '../../src/core/text';
import { DEFAULT_USER, type DovecotServer, startDovecot } from '../support/dovecot';
import { type CountingServer, startCountingServer } from '../support/http';
import { createFolders, saveMessage } from '../support/seed';
import { launchChromium, openWorkbench } from './browser';
import { type CodeServer, REPO_ROOT, startCodeServer } from './codeServer';
import { expandRow, Journal, messageBody, openMailView, runCommand, treeRow, webviewFrame } from './workbench';

const HOSTILE_NAME = "[report.pdf](command:workbench.action.openGlobalKeybindings 'report.pdf')";
const LINK_SUBJECT = '[Invoice overdue](command:workbench.action.openGlobalKeybindings) $(alert) pay now';
const NOTEBOOK_SUBJECT = 'Analysis notebook attached';
const MOVE_SUBJECT = 'Confirmed: parser crash on empty header';

function mail(headers: string[], body: string): Buffer {
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}`, 'utf8');
}

function notebookMail(): Buffer {
  const notebook = JSON.stringify({ cells: [{ cell_type: 'markdown', metadata: {}, source: ['<img src=x onerror=alert(1)> notebook cell'] }], metadata: {}, nbformat: 4, nbformat_minor: 5 });
  return mail([
    'From: Data Team <data@example.test>', 'To: alice@example.test', `Subject: ${NOTEBOOK_SUBJECT}`, 'Date: Mon, 24 Nov 2025 12:00:00 +0000',
    'Message-ID: <nb@example.test>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="nb"',
  ], `--nb\nContent-Type: text/plain\n\nThe notebook is attached.\n--nb\nContent-Type: application/x-ipynb+json\nContent-Disposition: attachment; filename="analysis.ipynb"\n\n${notebook}\n--nb--\n`);
}

function digest(subject: string, authResults: string[], image: string, remoteOrigin: string): Buffer {
  return mail([
    ...authResults.map((a) => `Authentication-Results: ${a}`),
    'From: Bank News <news@bank.test>', 'To: alice@example.test', `Subject: ${subject}`, 'Date: Mon, 24 Nov 2025 11:00:00 +0000',
    `Message-ID: <${image}@bank.test>`, 'MIME-Version: 1.0', 'Content-Type: text/html; charset=utf-8',
  ], `<p>Your weekly digest</p><img src="${remoteOrigin}/${image}.png" alt="banner">`);
}

describe('sender text on VS Code surfaces (hostile UI journey)', { timeout: 10 * 60 * 1000 }, () => {
  let server: DovecotServer;
  let remote: CountingServer;
  let vscode: CodeServer;
  let browser: Browser;
  let page: Page;
  let home: string;

  before(async () => {
    remote = await startCountingServer();
    server = await startDovecot({ users: [DEFAULT_USER] });
    createFolders(server, DEFAULT_USER.name, ['Triage', 'Triage.Confirmed']);
    saveMessage(server, DEFAULT_USER.name, 'INBOX', readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'security', 'command-link-in-attachment-name.eml')));
    saveMessage(server, DEFAULT_USER.name, 'INBOX', notebookMail());
    saveMessage(server, DEFAULT_USER.name, 'INBOX', mail(['From: QA <qa@example.test>', 'To: alice@example.test', `Subject: ${MOVE_SUBJECT}`, 'Date: Mon, 24 Nov 2025 10:00:00 +0000', 'Message-ID: <mv@example.test>'], 'Reproduced.\n'));
    // our server's stamp on top; the sender's own (forged) fields below it or alone
    saveMessage(server, DEFAULT_USER.name, 'INBOX', digest('Digest verified by your server', ['mx.own.test; dkim=pass header.d=bank.test; dmarc=pass header.from=bank.test'], 'verified', remote.origin));
    saveMessage(server, DEFAULT_USER.name, 'INBOX', digest('Digest with a forged stamp', ['mx.own.test; dkim=none; dmarc=none', 'mx.own.test; dmarc=pass header.from=bank.test'], 'forged', remote.origin));
    home = mkdtempSync(join(tmpdir(), 'imapx-home-'));
    mkdirSync(join(home, 'Downloads'));
    vscode = await startCodeServer({
      env: { NODE_EXTRA_CA_CERTS: join(server.dir, 'ssl', 'ca.pem'), HOME: home, TZ: 'UTC' },
      settings: {
        'workbench.colorTheme': 'Default Dark Modern',
        'window.dialogStyle': 'custom',
        'imapExplorer.notifications.newMail': true,
        'imapExplorer.remoteContent.trustedSenders': ['news@bank.test'],
        'imapExplorer.remoteContent.authservIds': { localhost: ['mx.own.test'] },
        // the sender's image server is on loopback: the host refuses private addresses otherwise
        'imapExplorer.remoteContent.allowPrivateNetwork': true,
        'imapExplorer.accounts': [{ id: 'alice', email: 'alice@example.test', imap: { host: 'localhost', port: server.imapsPort, security: 'tls', user: DEFAULT_USER.name } }],
      },
    });
    browser = await launchChromium();
    page = await openWorkbench(browser, vscode.url);
    // every command: link that ever appears in a notification, dialog or quick input is recorded
    // (a string: tsx would wrap a function with helpers the page does not have)
    await page.evaluate(`(() => {
      const found = [];
      window.commandLinks = found;
      const scan = (root) => root.querySelectorAll('a[href^="command:"]').forEach((a) => {
        if (a.closest('.notifications-toasts, .notifications-center, .monaco-dialog-box, .quick-input-widget')) {
          found.push(a.outerHTML);
        }
      });
      new MutationObserver((mutations) => mutations.forEach((m) => m.addedNodes.forEach((n) => n instanceof Element && scan(n.parentElement || n))))
        .observe(document.body, { subtree: true, childList: true });
    })()`);
  });

  after(async () => {
    await browser?.close();
    await vscode?.stop();
    await server?.stop();
    await remote?.close();
    if (home) {
      rmSync(home, { recursive: true, force: true });
    }
  });

  /** Runs a step with its screenshots; on failure a screenshot and the extension host logs. */
  async function journey(name: string, body: (journal: Journal) => Promise<void>): Promise<void> {
    const journal = new Journal(page, name);
    try {
      await body(journal);
    } catch (err) {
      await journal.shot('failure').catch(() => undefined);
      journal.saveLogs(vscode.logsDir);
      throw err;
    }
  }

  const commandLinks = () => page.evaluate('window.commandLinks') as Promise<string[]>;
  /** The command of the hostile links opens the Keyboard Shortcuts editor: it must never have run. */
  const keybindingsEditorOpen = async () => (await page.locator('.tab', { hasText: 'Keyboard Shortcuts' }).count()) > 0;
  const toast = (text: string | RegExp) => page.locator('.notifications-toasts .notification-toast').filter({ hasText: text }).first();
  const visibleText = async (locator: ReturnType<Page['locator']>) => (await locator.innerText()).replace(/\u2060/g, '');

  it('signs in and lists the inbox', async () => {
    await journey('hostile-ui-1-sign-in', async (journal) => {
      await openMailView(page);
      await expandRow(page, 'alice@example.test');
      await treeRow(page, /Enter password|Sign in/).click();
      const input = page.locator('.quick-input-widget input');
      await input.waitFor();
      await input.fill(DEFAULT_USER.password);
      await input.press('Enter');
      await expandRow(page, /^INBOX$/);
      await treeRow(page, 'Crash report with the report attached').waitFor({ timeout: 30000 });
      await journal.shot('inbox');
    });
  });

  it('15.1: an attachment named like a command link is saved and opened; no link, the command never runs', async () => {
    await journey('hostile-ui-2-attachment-name', async (journal) => {
      await treeRow(page, 'Crash report with the report attached').click();
      const view = await webviewFrame(page, '.attachments');
      await view.locator('.attachment-name').filter({ hasText: 'report.pdf' }).waitFor();
      await view.getByText('Save As...', { exact: true }).click();
      // VS Code's own save dialog (a quick input with the path): accept the proposed path
      const path = page.locator('.quick-input-widget input');
      await path.waitFor();
      await journal.shot('save-dialog');
      await path.press('Enter');
      const saved = toast(/^Saved /);
      await saved.waitFor({ timeout: 30000 });
      const message = saved.locator('.notification-list-item-message');
      // the file's name as saved (the view lists attachments under that name); still link-shaped
      assert.equal(await visibleText(message), `Saved ${safeFileName(HOSTILE_NAME)}.`, 'the name is shown as text, whole');
      assert.equal(await saved.locator('a[href]').count(), 0, 'no link in the toast');
      await journal.shot('saved-toast');
      await message.click();
      await page.waitForTimeout(1000);
      assert.equal(await keybindingsEditorOpen(), false, 'clicking the text ran nothing');
      assert.ok(readdirSync(join(home, 'Downloads')).includes(safeFileName(HOSTILE_NAME)), 'saved under its safe name');

      await view.getByText('Open', { exact: true }).first().click();
      // its content is text: VS Code's plain text editor shows it
      await page.locator('.monaco-editor .view-lines').filter({ hasText: 'not a real pdf' }).first().waitFor({ timeout: 30000 });
      await journal.shot('opened-as-text');
      assert.equal(await keybindingsEditorOpen(), false);
      assert.deepEqual(await commandLinks(), [], 'no command link appeared in any notification, progress, dialog or picker');
    });
  });

  it('15.5: a notebook attachment opens as text, never in the notebook editor', async () => {
    await journey('hostile-ui-3-notebook', async (journal) => {
      await treeRow(page, NOTEBOOK_SUBJECT).click();
      const view = await webviewFrame(page, '.attachments');
      await view.locator('.attachment-name').filter({ hasText: 'analysis.ipynb' }).waitFor();
      await view.getByText('Open', { exact: true }).first().click();
      await page.locator('.tab[aria-label^="analysis.ipynb"]').waitFor({ timeout: 30000 });
      await page.locator('.monaco-editor .view-lines').filter({ hasText: '"cell_type"' }).first().waitFor();
      assert.equal(await page.locator('.notebookOverlay, .notebook-editor').count(), 0, 'no notebook editor');
      await journal.shot('notebook-as-text');
    });
  });

  it('15.1: a new-mail notification shows a link-shaped subject as text', async () => {
    await journey('hostile-ui-4-new-mail', async (journal) => {
      saveMessage(server, DEFAULT_USER.name, 'INBOX', mail(['From: Billing <billing@evil.test>', 'To: alice@example.test', `Subject: ${LINK_SUBJECT}`, 'Date: Mon, 24 Nov 2025 14:00:00 +0000', 'Message-ID: <nm@evil.test>'], 'Pay.\n'));
      const note = toast(/New mail from/);
      await note.waitFor({ timeout: 60000 });
      const message = note.locator('.notification-list-item-message');
      assert.equal(await visibleText(message), `New mail from Billing: ${LINK_SUBJECT}`);
      assert.equal(await note.locator('a[href]').count(), 0);
      await journal.shot('new-mail-toast');
      await message.click();
      await page.waitForTimeout(1000);
      assert.equal(await keybindingsEditorOpen(), false);
      assert.deepEqual(await commandLinks(), []);
    });
  });

  it('15.7: a trusted sender loads remote content only when the own server verified it', async () => {
    await journey('hostile-ui-5-trusted-sender', async (journal) => {
      remote.reset();
      await treeRow(page, 'Digest verified by your server').click();
      await messageBody(page, 'Your weekly digest');
      const deadline = Date.now() + 15000;
      while (!remote.requests.some((r) => r.url === '/verified.png') && Date.now() < deadline) {
        await page.waitForTimeout(100);
      }
      assert.ok(remote.requests.some((r) => r.url === '/verified.png'), 'verified: the trusted sender\'s image loaded');
      await journal.shot('verified-loaded');
      await treeRow(page, 'Digest with a forged stamp').click();
      const view = await webviewFrame(page, '#remote-bar.unverified');
      assert.match(await view.locator('#remote-bar').innerText(), /news@bank\.test is a trusted sender, but your mail server did not confirm/);
      await page.waitForTimeout(500);
      assert.ok(!remote.requests.some((r) => r.url === '/forged.png'), 'a forged stamp loads nothing');
      await journal.shot('forged-unverified');
    });
  });

  it('16.8 and 16.11: dates in the display language; the inline Flag icon shows its key', async () => {
    await journey('hostile-ui-6-dates-keys', async (journal) => {
      await treeRow(page, MOVE_SUBJECT).click();
      const view = await webviewFrame(page, '#subject');
      const expected = new DisplayFormat('en', 'UTC').full(new Date('2025-11-24T10:00:00Z'));
      await view.locator('.row .value', { hasText: expected }).first().waitFor({ timeout: 10000 });
      const row = treeRow(page, MOVE_SUBJECT);
      await row.hover();
      const labels = async () => Promise.all((await row.locator('.actions .action-label').all()).map(async (a) => `${await a.getAttribute('aria-label')}|${await a.getAttribute('title')}`));
      const deadline = Date.now() + 10000;
      while (!(await labels()).some((l) => l.startsWith('Flag (S)')) && Date.now() < deadline) {
        await row.hover();
        await page.waitForTimeout(200);
      }
      assert.ok((await labels()).some((l) => l.startsWith('Flag (S)')), `inline actions: ${(await labels()).join(', ')}`);
      await journal.shot('flag-key-hint');
    });
  });

  it('16.2: a folder is named the same way in the picker and in the notification', async () => {
    await journey('hostile-ui-7-folder-names', async (journal) => {
      await runCommand(page, 'Notifications: Clear All Notifications');
      await treeRow(page, MOVE_SUBJECT).click();
      await runCommand(page, 'Mail: Move to...');
      const picker = page.locator('.quick-input-widget');
      await picker.locator('input').fill('Confirmed');
      const item = picker.locator('.monaco-list-row').filter({ hasText: 'Triage / Confirmed' }).first();
      await item.waitFor();
      await journal.shot('move-picker');
      await item.click();
      const moved = page.locator('.notifications-toasts .notification-toast, .notifications-center .notification-list-item').filter({ hasText: 'Moved 1 message to' }).first();
      await moved.waitFor({ timeout: 30000 });
      assert.equal(await visibleText(moved.locator('.notification-list-item-message')), 'Moved 1 message to Triage / Confirmed.');
      await journal.shot('moved-toast');
    });
  });
});
