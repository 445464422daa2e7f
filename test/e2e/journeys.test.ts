// User journeys in a real VS Code (code-server 4.100.3) driven by Playwright in Debian's
// Chromium, against a real Dovecot. Each journey asserts what is on screen, then what the server
// holds, and saves a screenshot after each step into test-results/<journey>/.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { decodeWords } from '../../src/core/text';
import { compose, fixtureMessages, SUBJECTS } from '../fixtures/mail';
import { opensslFingerprint } from '../support/doctor';
import { DEFAULT_USER, type DovecotServer, logCount, startDovecot } from '../support/dovecot';
import { hostileCorpus } from '../support/hostile';
import { type CountingServer, startCountingServer } from '../support/http';
import { createFolders, saveMessage, seedFixtures } from '../support/seed';
import { freePort } from '../support/net';
import { type SmtpSink, startSmtpSink } from '../support/smtp';
import { launchChromium, openWorkbench } from './browser';
import { expectCacheHolds, expectServerState } from './oracle';
import { type CodeServer, startCodeServer } from './codeServer';
import { clickInBody, contextMenu, expandRow, Journal, messageBody, openMailView, quickOpenFile, replaceUserSettings, runCommand, setColorTheme, treeRow, webviewFrame, recordStep } from './workbench';

let server: DovecotServer;
let remote: CountingServer;
let vscode: CodeServer;
let browser: Browser;
let smtp: SmtpSink;
let smtpPort: number;
const startSmtp = (pass = DEFAULT_USER.password) => startSmtpSink({ port: smtpPort, tls: { cert: server.cert.cert, key: server.cert.key }, credentials: { user: DEFAULT_USER.name, pass } });
let page: Page;
const PAGE_SIZE = 10;
const BOB = { name: 'bob', password: 'bob secret 42' };

/** The oracle: the Mail view shows what Dovecot holds (rows, icons, order, counts, badge, status bar). */
async function onServer(): Promise<void> {
  await expectServerState(page, { server, users: { 'alice@example.test': DEFAULT_USER.name, 'bob@example.test': BOB.name } });
}

function journey(name: string, body: (journal: Journal) => Promise<void>): Promise<void> {
  return recordStep(page, vscode.logsDir, name, body);
}

/** Subjects in a folder, as the server holds them (doveadm, not our code). */
function serverSubjects(folder: string): string[] {
  const out = server.doveadm(['fetch', '-u', DEFAULT_USER.name, 'hdr.subject', 'mailbox', folder, 'all']);
  // long encoded subjects are folded over several lines, each continuation starting with a space
  return [...out.matchAll(/^hdr\.subject: (.*(?:\n[ \t].*)*)$/gm)].map((m) => decodeWords(m[1].replace(/\?=\n[ \t]+=\?/g, '?==?').replace(/\n[ \t]+/g, ' ').trim()));
}

function serverFlags(folder: string, subject: string): string {
  const out = server.doveadm(['fetch', '-u', DEFAULT_USER.name, 'flags hdr.subject', 'mailbox', folder, 'all']);
  const block = out.split(/\n(?=flags:)/).find((b) => decodeWords(b.replace(/\?=\n[ \t]+=\?/g, '?==?')).includes(subject));
  return /flags: (.*)/.exec(block ?? '')?.[1] ?? '';
}

async function until(check: () => boolean, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error('the server did not reach the expected state');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function userSettings(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(vscode.userDataDir, 'User', 'settings.json'), 'utf8')) as Record<string, unknown>;
}

describe('user journeys in VS Code', { timeout: 15 * 60 * 1000 }, () => {
  before(async () => {
    remote = await startCountingServer();
    server = await startDovecot({ users: [DEFAULT_USER, BOB] });
    seedFixtures(server, DEFAULT_USER.name, await fixtureMessages({ remoteOrigin: remote.origin, big: false }));
    createFolders(server, DEFAULT_USER.name, ['Hostile']);
    for (const message of hostileCorpus(remote.hostPort)) {
      saveMessage(server, DEFAULT_USER.name, 'Hostile', message.raw);
    }
    smtpPort = await freePort();
    smtp = await startSmtp();
    const caFile = join(server.dir, 'ssl', 'ca.pem');
    const workspace = join(server.dir, 'workspace');
    mkdirSync(workspace, { recursive: true });
    writeFileSync(join(workspace, 'saved.eml'), (await fixtureMessages({ big: false }))[0].raw);
    vscode = await startCodeServer({
      workspace,
      env: { NODE_EXTRA_CA_CERTS: caFile },
      settings: { 'workbench.colorTheme': 'Default Dark Modern', 'imapExplorer.pageSize': PAGE_SIZE, 'window.dialogStyle': 'custom', 'imapExplorer.remoteContent.allowPrivateNetwork': true },
    });
    browser = await launchChromium();
    page = await openWorkbench(browser, vscode.url);
  });

  after(async () => {
    await browser?.close();
    await vscode?.stop();
    await smtp?.close();
    await server?.stop();
    await remote?.close();
  });

  it('1. first run: welcome view, Add Account form, folders with unread counts', async () => {
    await journey('1-first-run', async (journal) => {
      await openMailView(page);
      const welcome = page.locator('.welcome-view-content');
      await welcome.getByText('No mail account yet').waitFor();
      await journal.shot('welcome');
      await welcome.getByRole('button', { name: 'Add Account' }).click();
      const form = await webviewFrame(page, '#f-email');
      await journal.shot('form-empty');
      await form.locator('#f-email input').fill('alice@example.test');
      await form.locator('#f-displayName input').fill('Alice Admin');
      assert.equal(await form.locator('#f-host input').inputValue(), 'imap.example.test', 'host prefilled from the address');
      assert.equal(await form.locator('#f-user input').inputValue(), 'alice@example.test', 'user prefilled from the address');
      await form.locator('#f-host input').fill('localhost');
      await form.locator('#f-port input').fill(String(server.imapsPort));
      await form.locator('#f-user input').fill(DEFAULT_USER.name);
      assert.equal(await form.locator('#f-smtpHost input').inputValue(), 'localhost', 'the outgoing server is proposed from the incoming one');
      await form.locator('#f-smtpPort input').fill(String(smtpPort));
      await form.locator('#f-password input').fill('not the password');
      await form.locator('#save').click();
      await form.locator('.status.failed').waitFor();
      assert.match(await form.locator('.status').innerText(), /Authentication failed/);
      await journal.shot('wrong-password');
      await form.locator('#f-password input').fill(DEFAULT_USER.password);
      await form.locator('#f-password input').press('Enter');
      await treeRow(page, 'alice@example.test').waitFor({ timeout: 30000 });
      await expandRow(page, 'alice@example.test');
      const inbox = treeRow(page, 'INBOX');
      await inbox.waitFor();
      assert.equal((await inbox.locator('.label-description').innerText()).trim(), '10');
      for (const folder of ['Drafts', 'Sent', 'Archive', 'Junk', 'Trash', 'Projects', 'R&D', 'Lists', 'Hostile']) {
        await treeRow(page, folder).waitFor();
      }
      await journal.shot('account-folders');
      await onServer();
      const saved = userSettings()['imapExplorer.accounts'] as Array<Record<string, unknown>>;
      assert.equal(saved.length, 1);
      assert.equal(saved[0].email, 'alice@example.test');
      assert.ok(!JSON.stringify(userSettings()).includes(DEFAULT_USER.password), 'no password in settings');
    });
  });

  it('2. read: newest page, load more, HTML with blocked remote content, then loaded', async () => {
    await journey('2-read', async (journal) => {
      await expandRow(page, 'INBOX');
      await treeRow(page, SUBJECTS.links).waitFor();
      const rows = page.locator('.pane-body .monaco-list-row[role="treeitem"][aria-level="3"]');
      // the page is drawn once its "Load more" row is
      await rows.filter({ has: page.locator('.label-name', { hasText: /Load more/ }) }).first().waitFor({ timeout: 30000 });
      const subjects = await rows.locator('.label-name').allInnerTexts();
      assert.equal(subjects.length, PAGE_SIZE + 1, subjects.join(' | '));
      assert.equal(subjects[0], SUBJECTS.links);
      assert.match(subjects[PAGE_SIZE], /Load more/);
      await journal.shot('inbox-first-page');
      await onServer();
      await treeRow(page, /Load more/).click();
      await treeRow(page, SUBJECTS.plain).waitFor();
      await journal.shot('inbox-all');
      await onServer();
      assert.equal(remote.requests.length, 0);
      await treeRow(page, SUBJECTS.html).click();
      const view = await webviewFrame(page, '#remote-bar');
      assert.equal(await view.locator('#subject').innerText(), SUBJECTS.html);
      await messageBody(page, 'This week');
      await page.waitForTimeout(500);
      assert.equal(remote.requests.length, 0, 'no request before the user asks');
      await journal.shot('newsletter-blocked');
      await view.getByText('Load for this message').click();
      await messageBody(page, 'This week');
      const deadline = Date.now() + 10000;
      while (remote.requests.length < 2 && Date.now() < deadline) {
        await page.waitForTimeout(100);
      }
      assert.deepEqual(remote.requests.map((r) => r.url).sort(), ['/banner.png', '/pixel.gif']);
      await journal.shot('newsletter-loaded');
      await onServer();
      await treeRow(page, SUBJECTS.plain).click();
      await messageBody(page, 'at Parser.parse');
      await journal.shot('plain-text');
      await setColorTheme(page, 'Light Modern');
      await journal.shot('plain-text-light');
      await treeRow(page, SUBJECTS.attachments).click();
      const attachments = await webviewFrame(page, '.attachments');
      assert.deepEqual(await attachments.locator('.attachment-name').allInnerTexts(), ['server.log', 'fix.patch', 'report.pdf']);
      await journal.shot('attachments-light');
      await treeRow(page, SUBJECTS.html).click();
      await messageBody(page, 'This week');
      await journal.shot('newsletter-light');
      await setColorTheme(page, 'Dark Modern');

      // an attachment opens in an editor tab; View Source shows the raw message
      await treeRow(page, SUBJECTS.attachments).click();
      const withAttachments = await webviewFrame(page, '.attachments');
      await withAttachments.getByTitle('Open server.log').click();
      await page.locator('.tab[aria-label^="server.log"]').waitFor();
      await page.locator('.monaco-editor .view-lines').filter({ hasText: 'ERROR something broke' }).first().waitFor();
      await journal.shot('attachment-opened');
      await treeRow(page, SUBJECTS.attachments).click();
      await (await webviewFrame(page, '.attachments')).getByTitle('View Source').click();
      await page.locator('.monaco-editor .view-lines').filter({ hasText: 'Content-Type: multipart/mixed' }).first().waitFor();
      await journal.shot('view-source');

      // a link asks first and shows where it really goes
      await treeRow(page, SUBJECTS.links).click();
      await clickInBody(page, 'javascript link', 'https://github.com/login');
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor();
      const dialogText = await dialog.innerText();
      assert.match(dialogText, /different address/);
      assert.ok(dialogText.includes(`${remote.origin}/phish`), dialogText);
      await journal.shot('link-confirmation');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      assert.equal(remote.requests.filter((r) => r.url === '/phish').length, 0, 'a cancelled link is not opened');

      // an .eml file in the workspace opens in the same message view
      await quickOpenFile(page, 'saved.eml');
      await messageBody(page, 'at Parser.parse');
      assert.equal(await (await webviewFrame(page, '#subject')).locator('#subject').innerText(), SUBJECTS.plain);
      await journal.shot('eml-file');
      // INBOX unread count followed the messages that were read
      await treeRow(page, 'INBOX').locator('.label-description', { hasText: /^\s*6\s*$/ }).waitFor({ timeout: 30000 });
      const status = server.doveadm(['mailbox', 'status', '-u', DEFAULT_USER.name, 'unseen', 'INBOX']);
      assert.match(status, /unseen=6/);
      await onServer();
    });
  });

  it('3. hostile mail: every corpus message opens in the real webview, nothing runs, nothing loads', async () => {
    await journey('3-hostile', async (journal) => {
      remote.reset();
      await treeRow(page, 'INBOX').click();
      await page.keyboard.press('ArrowLeft');
      await expandRow(page, 'Hostile');
      await treeRow(page, /Load more/).waitFor();
      const corpus = hostileCorpus(remote.hostPort);
      let opened = 0;
      const focusedLabel = () => page.locator('.pane-body .monaco-list-row.focused .label-name').innerText().catch(() => '');
      await treeRow(page, `[hostile ${corpus[corpus.length - 1].id}]`).click();
      for (const message of [...corpus].reverse()) {
        // walk down with the keyboard as a reader would; "Load more" is activated with Enter
        for (let tries = 0; tries < 6 && !(await focusedLabel()).includes(`[hostile ${message.id}]`); tries++) {
          if (/Load more/.test(await focusedLabel())) {
            await page.keyboard.press('Enter');
            await treeRow(page, `[hostile ${message.id}]`).waitFor();
            await treeRow(page, `[hostile ${message.id}]`).click();
          } else {
            await page.keyboard.press('ArrowDown');
          }
        }
        assert.match(await focusedLabel(), new RegExp(`\\[hostile ${message.id}\\]`));
        await page.keyboard.press('Enter');
        await messageBody(page, `Visible text ${message.id}`, 15000);
        opened++;
        if (['01', '20', '47', '55', '66', '67'].includes(message.id)) {
          await journal.shot(`hostile-${message.id}`);
        }
      }
      assert.equal(opened, corpus.length);
      await onServer();
      await page.waitForTimeout(1000);
      assert.doesNotMatch(await page.title(), /PWNED/);
      for (const frame of page.frames()) {
        const title = await frame.evaluate(() => document.title).catch(() => '');
        assert.doesNotMatch(title, /PWNED/);
      }
      assert.deepEqual(remote.requests, [], 'no request reached the loopback server');
    });
  });

  it('4. triage: flag from the context menu, move three messages with the keyboard, undo', async () => {
    await journey('4-triage', async (journal) => {
      await treeRow(page, /^Hostile$/).click();
      await page.keyboard.press('ArrowLeft');
      await expandRow(page, /^INBOX$/);
      await contextMenu(page, treeRow(page, SUBJECTS.alternative), 'Toggle Flag');
      await until(() => serverFlags('INBOX', SUBJECTS.alternative).includes('\\Flagged'));
      await treeRow(page, SUBJECTS.alternative).locator('.custom-view-tree-node-item-icon.codicon-star-full').waitFor();
      await page.locator('.statusbar').getByText('1 message flagged').waitFor();
      await journal.shot('flagged');
      await onServer();

      const moving = [SUBJECTS.sjis, SUBJECTS.latin1, SUBJECTS.inline];
      await treeRow(page, moving[0]).click();
      await treeRow(page, moving[2]).click({ modifiers: ['Shift'] });
      assert.equal(await page.locator('.pane-body .monaco-list-row.selected').count(), 3);
      await journal.shot('three-selected');
      await page.keyboard.press('v');
      const picker = page.locator('.quick-input-widget');
      await picker.waitFor();
      assert.match(await picker.innerText(), /Move 3 messages to/);
      await picker.locator('input').fill('Archive');
      await journal.shot('move-picker');
      await page.keyboard.press('Enter');
      await until(() => serverSubjects('Archive').length === 3);
      assert.deepEqual(serverSubjects('Archive').sort(), [...moving].sort());
      assert.ok(moving.every((s) => !serverSubjects('INBOX').includes(s)));
      await treeRow(page, moving[0]).waitFor({ state: 'detached' });
      await journal.shot('moved');
      await onServer();

      await treeRow(page, SUBJECTS.flagged).click();
      await page.keyboard.press('z');
      await until(() => serverSubjects('Archive').length === 0 && moving.every((s) => serverSubjects('INBOX').includes(s)));
      await treeRow(page, moving[0]).waitFor();
      await journal.shot('undone');
      await onServer();
    });
  });

  it('5. reply: a draft tab with the quote, Ctrl+Enter sends; a failed send keeps the draft', async () => {
    await journey('5-reply', async (journal) => {
      await expandRow(page, /^INBOX$/);
      await treeRow(page, SUBJECTS.utf8words).click();
      await page.keyboard.press('r');
      const editor = page.locator('.editor-instance .monaco-editor').first();
      await page.locator('.tab.active', { hasText: 'Re: Ünïcödé subject with emoji 🚀' }).waitFor();
      await editor.locator('.view-lines').filter({ hasText: 'Subject: Re: Ünïcödé subject with emoji 🚀' }).waitFor();
      // Monaco renders spaces as U+00A0; compare the text a person reads
      const editorText = async () => (await editor.locator('.view-lines').innerText()).replace(/\u00a0/g, ' ').normalize('NFC');
      const text = await editorText();
      assert.match(text, /To:\s+Zoë Ünïcödé <zoe@unicode\.test>/);
      assert.match(text, /Zoë Ünïcödé wrote:/);
      assert.match(text, /> Grüße aus München/);
      await journal.shot('draft');
      await page.keyboard.type('Thanks Zoë, this is fixed in 2.3.2.');
      await page.waitForTimeout(1200);
      await journal.shot('typed');

      // the SMTP server is down: the send fails, the draft stays open and intact
      await smtp.close();
      await page.keyboard.press('Control+Enter');
      await page.locator('.notifications-toasts .notification-toast', { hasText: /connection refused|Nothing accepts connections/i }).waitFor();
      await journal.shot('send-failed');
      assert.match(await editorText(), /Thanks Zoë, this is fixed in 2\.3\.2\./);
      const onDisk = readdirSync(join(vscode.userDataDir, 'User', 'globalStorage', 'imap-explorer.imap-mailbox-explorer', 'drafts')).filter((f) => f.endsWith('.maildraft'));
      assert.equal(onDisk.length, 1);
      assert.match(readFileSync(join(vscode.userDataDir, 'User', 'globalStorage', 'imap-explorer.imap-mailbox-explorer', 'drafts', onDisk[0]), 'utf8'), /this is fixed in 2\.3\.2/);
      await runCommand(page, 'Notifications: Clear All Notifications');

      smtp = await startSmtp();
      await editor.click();
      await page.keyboard.press('Control+Enter');
      const deadline = Date.now() + 20000;
      while (smtp.received.length === 0 && Date.now() < deadline) {
        await page.waitForTimeout(200);
      }
      assert.equal(smtp.received.length, 1);
      const mail = await simpleParser(smtp.received[0].raw);
      assert.equal(mail.subject, 'Re: Ünïcödé subject with emoji 🚀');
      assert.deepEqual(mail.to && !Array.isArray(mail.to) ? mail.to.value : [], [{ address: 'zoe@unicode.test', name: 'Zoë Ünïcödé' }]);
      assert.deepEqual(mail.from?.value, [{ address: 'alice@example.test', name: 'Alice Admin' }]);
      const originalId = /^hdr\.message-id: (.*)$/m.exec(server.doveadm(['fetch', '-u', DEFAULT_USER.name, 'hdr.message-id', 'mailbox', 'INBOX', 'header', 'subject', 'Ünïcödé']))?.[1].trim();
      assert.ok(originalId);
      assert.equal(mail.inReplyTo, originalId);
      assert.match(mail.text ?? '', /^Thanks Zoë, this is fixed in 2\.3\.2\.\n\nOn .* Zoë Ünïcödé wrote:\n> Grüße aus München/);
      await page.locator('.tab', { hasText: 'Re: Ünïcödé subject with emoji 🚀' }).waitFor({ state: 'detached' });
      await journal.shot('sent');
      await until(() => serverSubjects('Sent').includes('Re: Ünïcödé subject with emoji 🚀'));
      await until(() => serverFlags('INBOX', SUBJECTS.utf8words).includes('\\Answered'));
      await expandRow(page, /^Sent$/);
      await onServer();
    });
  });

  it('6. doctor: Test Connection reports every step; a self-signed server is diagnosed and pinned from the form', async () => {
    await journey('6-doctor', async (journal) => {
      await contextMenu(page, treeRow(page, 'alice@example.test'), 'Test Connection');
      const report = await webviewFrame(page, '.verdict', 60000);
      await page.mouse.move(900, 400);
      const verdict = (await report.locator('.verdict-line').innerText()).trim();
      assert.match(verdict, /^PASS: all \d+ checks passed\.$/, verdict);
      const stepRows = await report.locator('table.steps tr.step').allInnerTexts();
      for (const title of ['IMAP: DNS', 'IMAP: TCP connection', 'IMAP: TLS and certificate', 'IMAP: login', 'IMAP: mailboxes', 'SMTP: EHLO extensions', 'SMTP: login']) {
        assert.ok(stepRows.some((row) => row.includes(title)), `step ${title} in ${stepRows.join(' | ')}`);
      }
      assert.ok(await report.locator('tr.step.fail').count() === 0, 'no failed step');
      assert.equal(await report.locator('.badge.present', { hasText: /^IDLE$/ }).count(), 1, 'IDLE badge');
      assert.match(await report.locator('section', { hasText: 'Certificate (IMAP)' }).innerText(), /Trusted\s+yes, by a certificate authority/);
      assert.match(await report.locator('pre.commands').innerText(), new RegExp(`openssl s_client -connect localhost:${server.imapsPort}`));
      const wholeReport = await report.locator('#app').innerText();
      assert.ok(!wholeReport.includes(DEFAULT_USER.password), 'the password is not in the report');
      await journal.shot('report-pass');
      await report.locator('section', { hasText: 'Protocol transcript' }).locator('summary').click();
      assert.match(await report.locator('pre.transcript').innerText(), /(LOGIN|AUTHENTICATE).*\(redacted\)/);
      assert.ok(!(await report.locator('pre.transcript').innerText()).includes(DEFAULT_USER.password), 'the password is not in the transcript');
      await report.locator('pre.transcript').scrollIntoViewIfNeeded();
      await journal.shot('report-transcript');
      await report.getByText('Copy as Markdown').click();
      await page.locator('.statusbar', { hasText: 'Connection report copied as Markdown.' }).waitFor();
      await runCommand(page, 'View: Close Editor');

      // a new account on a server with a self-signed certificate: the diagnosis explains it and offers the pin
      const selfSigned = await startDovecot({ certificate: 'self-signed' });
      try {
        await runCommand(page, 'Mail: Add Account');
        const form = await webviewFrame(page, '#f-email');
        await form.locator('#f-email input').fill('alice@selfsigned.test');
        await form.locator('#f-host input').fill('localhost');
        await form.locator('#f-port input').fill(String(selfSigned.imapsPort));
        await form.locator('#f-user input').fill(DEFAULT_USER.name);
        await form.locator('#f-password input').fill(DEFAULT_USER.password);
        await form.locator('#f-smtpHost input').fill('');
        await form.locator('#test').click();
        await form.locator('.status.failed').waitFor();
        await journal.shot('form-untrusted');
        await form.locator('#diagnose').click();
        const diagnosis = await webviewFrame(page, '#pin-certificate', 60000);
        const line = (await diagnosis.locator('.verdict-line').innerText()).trim();
        assert.match(line, /^FAIL: IMAP: TLS and certificate/, line);
        const certificate = await diagnosis.locator('section', { hasText: 'Certificate (IMAP)' }).innerText();
        assert.match(certificate, /Self-signed\s+yes/);
        assert.match(certificate, /Trusted\s+no/);
        const fingerprint = /SHA-256\s+([0-9A-F:]{95})/.exec(certificate)?.[1];
        assert.equal(fingerprint, opensslFingerprint(selfSigned.cert.cert), 'the report shows the certificate the server has');
        await journal.shot('report-self-signed');
        await diagnosis.locator('#pin-certificate').click();
        const dialog = page.locator('.monaco-dialog-box');
        await dialog.waitFor();
        assert.match(await dialog.innerText(), new RegExp(`SHA-256: ${fingerprint!}`));
        await journal.shot('pin-confirmation');
        await dialog.getByRole('button', { name: 'Trust This Certificate' }).click();
        await diagnosis.getByText(/This certificate is pinned for the account\./).waitFor();
        await journal.shot('report-pinned');
        await page.locator('.tab', { hasText: 'Add Mail Account' }).click();
        await form.locator('.pinned .fingerprint', { hasText: fingerprint! }).waitFor();
        await form.locator('#test').click();
        await form.locator('.status.ok', { hasText: 'Connected and logged in over TLS' }).waitFor({ timeout: 30000 });
        await journal.shot('form-pinned-ok');
        await form.getByRole('button', { name: 'Cancel', exact: true }).click();
        await page.locator('.tab', { hasText: 'Add Mail Account' }).waitFor({ state: 'detached' });
        await runCommand(page, 'View: Close All Editors');
      } finally {
        await selfSigned.stop();
      }
      await onServer();
    });
  });

  it('7. errors: a password changed on the server shows an error row whose action fixes it', async () => {
    await journey('7-errors', async (journal) => {
      const newPassword = 'rotated password 2026';
      await server.setPassword(DEFAULT_USER.name, newPassword);
      server.kick(DEFAULT_USER.name);
      // the mail provider changed the password for sending too
      await smtp.close();
      smtp = await startSmtp(newPassword);
      await expandRow(page, 'alice@example.test');
      await treeRow(page, 'alice@example.test').hover();
      await treeRow(page, 'alice@example.test').locator('.action-label[aria-label="Refresh"]').click();
      const row = treeRow(page, /Authentication failed - Edit account/);
      await row.waitFor({ timeout: 30000 });
      // the folders already on screen stay under the error
      await treeRow(page, /^Archive$/).waitFor();
      await journal.shot('auth-error-row');
      await row.click();
      const form = await webviewFrame(page, '#f-password');
      await form.locator('#f-password input').fill(newPassword);
      await journal.shot('edit-account');
      await form.locator('#save').click();
      await row.waitFor({ state: 'detached', timeout: 30000 });
      await expandRow(page, /^INBOX$/);
      await treeRow(page, SUBJECTS.links).waitFor({ timeout: 30000 });
      await journal.shot('fixed');
      await onServer();
      // the server keeps the new password: the account now stores it
    });
  });

  it('8. accounts side by side: a second account, then Remove Account deletes its settings and password', async () => {
    await journey('8-accounts', async (journal) => {
      await runCommand(page, 'Mail: Add Account');
      const form = await webviewFrame(page, '#f-email:not([data-used])');
      await form.locator('#f-email input').fill('bob@example.test');
      await form.locator('#f-host input').fill('localhost');
      await form.locator('#f-port input').fill(String(server.imapsPort));
      await form.locator('#f-user input').fill(BOB.name);
      await form.locator('#f-password input').fill(BOB.password);
      // the form suggests the IMAP host for SMTP; Bob only reads mail here
      await form.locator('#f-smtpHost input').fill('');
      await form.locator('#save').click();
      await treeRow(page, 'bob@example.test').waitFor();
      await expandRow(page, 'bob@example.test');
      await page.locator('.pane-body .monaco-list-row[aria-level="2"]').filter({ hasText: 'INBOX' }).nth(1).waitFor();
      await journal.shot('two-accounts');
      await onServer();
      assert.equal((userSettings()['imapExplorer.accounts'] as unknown[]).length, 2);

      await contextMenu(page, treeRow(page, 'bob@example.test'), 'Remove Account');
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor();
      assert.match(await dialog.innerText(), /Remove the account bob@example\.test\?/);
      await journal.shot('remove-confirmation');
      await dialog.getByRole('button', { name: 'Remove' }).click();
      await treeRow(page, 'bob@example.test').waitFor({ state: 'detached' });
      const accounts = userSettings()['imapExplorer.accounts'] as Array<{ email: string }>;
      assert.deepEqual(accounts.map((a) => a.email), ['alice@example.test']);
      await onServer();

      // the same account written back by hand finds no password: the secret went with it
      const bob = { id: 'bob-example-test', email: 'bob@example.test', imap: { host: 'localhost', port: server.imapsPort, security: 'tls', user: BOB.name } };
      await replaceUserSettings(page, { ...userSettings(), 'imapExplorer.accounts': [...accounts, bob] });
      await expandRow(page, 'bob@example.test');
      // a missing password is a normal first state on this machine: a neutral Sign in row, not an error
      const signIn = treeRow(page, /^Sign in$/);
      await signIn.waitFor();
      assert.equal(await signIn.locator('.custom-view-tree-node-item-icon.codicon-key').count(), 1, 'a key icon');
      assert.equal(await page.locator('.pane-body .monaco-list-row .codicon-error').count(), 0, 'no error icon anywhere');
      await journal.shot('secret-gone');
      await replaceUserSettings(page, { ...userSettings(), 'imapExplorer.accounts': accounts });
    });
  });

  it('9. restart: the header cache shows folders and mail before the server answers, then what changed meanwhile', async () => {
    await journey('9-restart', async (journal) => {
      const away = 'Arrived while VS Code was closed';
      await expandRow(page, /^INBOX$/);
      await treeRow(page, SUBJECTS.links).waitFor();
      assert.equal(await treeRow(page, SUBJECTS.links).locator('.custom-view-tree-node-item-icon.codicon-star-full').count(), 0, 'not flagged yet');
      await expectCacheHolds({ server, user: DEFAULT_USER.name, folder: 'INBOX', userDataDir: vscode.userDataDir });
      // the server stops accepting the password: after a restart only the cache can show anything
      // the password the account stores (journey 7 changed it), to give back afterwards
      const stored = /^alice:\{PLAIN\}([^:]*)/m.exec(readFileSync(join(server.dir, 'users'), 'utf8'))![1];
      const failedBefore = await logCount(server, /auth failed/, 0);
      await server.setPassword(DEFAULT_USER.name, 'locked out for now');
      server.kick(DEFAULT_USER.name);
      // collapsed, so that the account is opened only after the start already failed to log in
      await treeRow(page, 'alice@example.test').click();
      await treeRow(page, /^INBOX$/).waitFor({ state: 'hidden' });
      // the kicked watchers of this window reconnect once and fail (one login): let that settle first
      const failedLogins = await logCount(server, /auth failed/, failedBefore + 1);
      try {
        await page.reload();
        await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
        await openMailView(page);
        await expandRow(page, 'alice@example.test');
        await treeRow(page, /Authentication failed - Edit account/).waitFor({ timeout: 30000 });
        for (const folder of ['Sent', 'Archive', 'Projects']) {
          await treeRow(page, folder).waitFor();
        }
        // counted once the error is on screen (the refusal was logged before it was sent): the main
        // connection and both watchers share one failed login, and nothing retries it
        assert.equal(await logCount(server, /auth failed/, failedLogins + 1), failedLogins + 1, 'one failed login for the main connection and both watchers');
        await expandRow(page, /^INBOX$/);
        await treeRow(page, SUBJECTS.links).waitFor();
        await treeRow(page, SUBJECTS.html).waitFor();
        await journal.shot('offline-from-cache');

        // meanwhile, another client flags a message and new mail arrives
        const linksUid = /^uid: (\d+)$/m.exec(server.doveadm(['fetch', '-u', DEFAULT_USER.name, 'uid', 'mailbox', 'INBOX', 'header', 'subject', 'one honest, one lying']))![1];
        server.doveadm(['flags', 'add', '-u', DEFAULT_USER.name, '\\Flagged', 'mailbox', 'INBOX', 'uid', linksUid]);
        saveMessage(server, DEFAULT_USER.name, 'INBOX', await compose({ from: 'Night Shift <oncall@example.test>', to: 'alice@example.test', subject: away, text: 'The build is green again.' }));
      } finally {
        await server.setPassword(DEFAULT_USER.name, stored);
      }
      await page.reload();
      await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
      await openMailView(page);
      await expandRow(page, 'alice@example.test');
      await expandRow(page, /^INBOX$/);
      await treeRow(page, away).waitFor({ timeout: 30000 });
      await treeRow(page, SUBJECTS.links).locator('.custom-view-tree-node-item-icon.codicon-star-full').waitFor();
      assert.equal(await treeRow(page, /Authentication failed/).count(), 0, 'the error row is gone');
      await journal.shot('resynced');
      await onServer();
    });
  });
});
