// Issue 10 in a real VS Code (code-server) against a real Dovecot: the eight cases of
// shared/cases/mime as rows and message views, the invitation card and Apple Mail's structure in
// dark and light themes, and an .eml file in the same view. Screenshots: test-results/display-*/.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { fixtureBytes, MIME_CASES } from '../fixtures/mime/cases';
import { DEFAULT_USER, type DovecotServer, startDovecot } from '../support/dovecot';
import { saveMessage } from '../support/seed';
import { launchChromium, openWorkbench } from './browser';
import { type CodeServer, startCodeServer } from './codeServer';
import { expandRow, Journal, messageBody, openMailView, quickOpenFile, runCommand, setColorTheme, treeRow, webviewFrame, recordStep } from './workbench';

let server: DovecotServer;
let vscode: CodeServer;
let browser: Browser;
let page: Page;

const CASES = MIME_CASES.filter((c) => /^\d\d-/.test(c.file));

function journey(name: string, body: (journal: Journal) => Promise<void>): Promise<void> {
  return recordStep(page, vscode.logsDir, name, body);
}

/** The row's description: "📎 Dana Reporter · 3 Mar 2025". */
async function rowDescription(subject: string): Promise<string> {
  return (await treeRow(page, subject).locator('.label-description').innerText()).trim();
}

describe('display of real-world mail in VS Code', { timeout: 10 * 60 * 1000 }, () => {
  before(async () => {
    server = await startDovecot();
    for (const c of CASES) {
      saveMessage(server, DEFAULT_USER.name, 'INBOX', fixtureBytes(c));
    }
    const workspace = join(server.dir, 'workspace');
    mkdirSync(workspace, { recursive: true });
    copyFileSync(join(__dirname, '..', 'fixtures', 'mime', '09-list-footer-part.eml'), join(workspace, 'list-footer.eml'));
    vscode = await startCodeServer({
      workspace,
      env: { NODE_EXTRA_CA_CERTS: join(server.dir, 'ssl', 'ca.pem'), TZ: 'Europe/Berlin' },
      settings: { 'workbench.colorTheme': 'Default Dark Modern', 'imapExplorer.pageSize': 20, 'imapExplorer.markAsReadOnOpen': false },
    });
    browser = await launchChromium();
    // the user and the extension host both in Berlin
    page = await openWorkbench(browser, vscode.url, { timezoneId: 'Europe/Berlin' });
  });

  after(async () => {
    await browser?.close();
    await vscode?.stop();
    await server?.stop();
  });

  it('shows the eight cases right: rows, message views, invitation card, Apple Mail, an .eml file', async () => {
    await journey('display-cases', async (journal) => {
      await openMailView(page);
      await page.locator('.welcome-view-content').getByRole('button', { name: 'Add Account' }).click();
      const form = await webviewFrame(page, '#f-email');
      await form.locator('#f-email input').fill('alice@example.test');
      await form.locator('#f-host input').fill('localhost');
      await form.locator('#f-port input').fill(String(server.imapsPort));
      await form.locator('#f-user input').fill(DEFAULT_USER.name);
      await form.locator('#f-smtpHost input').fill('');
      await form.locator('#f-password input').fill(DEFAULT_USER.password);
      await form.locator('#f-password input').press('Enter');
      await treeRow(page, 'alice@example.test').waitFor({ timeout: 30000 });
      await expandRow(page, 'alice@example.test');
      await expandRow(page, 'INBOX');
      for (const c of CASES) {
        await treeRow(page, c.row.subject).waitFor();
      }
      await journal.shot('rows');

      // the rows: a date on every one (CEST read, never blank), the paperclip only on Apple Mail's
      for (const c of CASES) {
        const description = await rowDescription(c.row.subject);
        // the date in VS Code's display language (en here: "Jul 1, 2025"), whichever order it puts day and month in
        assert.match(description, /Dana Reporter · (?:\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2})/, `${c.file}: ${description}`);
        assert.equal(description.includes('📎'), c.row.attachment, `${c.file}: paperclip in ${description}`);
      }
      assert.match(await rowDescription('Probe 01: Date with CEST zone name'), /Jul 1, 2025|1 Jul 2025/);

      // each message view shows its right text
      for (const c of CASES) {
        await treeRow(page, c.row.subject).click();
        const view = await webviewFrame(page, '#subject');
        await messageBody(page, c.view.text[0]);
        assert.equal(await view.locator('#subject').innerText(), c.row.subject);
      }

      // 01: the date in the header rows (10:00 CEST is 10:00 in Berlin)
      await treeRow(page, 'Probe 01: Date with CEST zone name').click();
      await messageBody(page, 'The Date header says');
      const dated = await webviewFrame(page, '#subject');
      // (in VS Code's display language, en here: "Tue, Jul 1, 2025, 10:00 AM")
      assert.match(await dated.locator('.rows').innerText(), /Tue, Jul 1, 2025, 10:00\sAM|Tue, 1 Jul 2025,? 10:00/);

      // 07: the invitation card, dark then light
      await treeRow(page, 'Invitation: Release planning').click();
      await messageBody(page, 'You are invited to');
      const invite = await webviewFrame(page, '.calendar-card');
      const card = await invite.locator('.calendar-card').innerText();
      assert.match(card, /Invitation/);
      assert.match(card, /Release planning/);
      // in VS Code's display language (en) and the user's zone (Berlin)
      assert.match(card, /Mon, Mar 10, 2025, 10:00\sAM – 11:00\sAM/);
      assert.match(card, /dana@reporter\.test/);
      assert.match(card, /1 person/);
      assert.match(card, /Open \.ics/);
      await journal.shot('invitation-dark');

      // 08: Apple Mail: both HTML parts, report.pdf the only attachment
      await treeRow(page, 'Probe 08: Apple Mail structure').click();
      const apple = await messageBody(page, 'See you Monday.');
      assert.match(await apple.evaluate(() => document.body.innerText), /Here is the report\.[\s\S]*See you Monday\./);
      const appleView = await webviewFrame(page, '.attachments');
      assert.deepEqual(await appleView.locator('.attachment-name').allInnerTexts(), ['report.pdf']);
      await journal.shot('apple-mail-dark');

      await setColorTheme(page, 'Light Modern');
      await journal.shot('apple-mail-light');
      await treeRow(page, 'Invitation: Release planning').click();
      await messageBody(page, 'You are invited to');
      await webviewFrame(page, '.calendar-card');
      await journal.shot('invitation-light');

      // 09 as an .eml file: the footer under the body, no attachment
      await quickOpenFile(page, 'list-footer.eml');
      const eml = await messageBody(page, 'dev-list mailing list');
      assert.match(await eml.evaluate(() => document.body.innerText), /The nightly build is green again\.[\s\S]*dev-list mailing list/);
      const emlView = await webviewFrame(page, '#subject');
      assert.equal(await emlView.locator('.attachments').count(), 0);
      await journal.shot('eml-footer-light');
      await runCommand(page, 'View: Close All Editors');
      await setColorTheme(page, 'Default Dark Modern');
    });
  });
});
