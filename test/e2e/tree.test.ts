// The Mail tree in a real VS Code (code-server + Chromium) against a real Dovecot behind the
// loopback proxy: a first run that signs in, rows ordered by arrival (and put back in place by
// Undo), message rows indented alike under every folder, rows that stay useful at a 300 px
// sidebar, and restarts whose resync lands while VS Code draws the cached rows, with the server's
// answers held back. After each step the oracle compares the screen with Dovecot.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { DisplayFormat } from '../../src/core/dates';
import { compose } from '../fixtures/mail';
import { DEFAULT_USER, type DovecotServer, startDovecot } from '../support/dovecot';
import { startProxy, type TcpProxy } from '../support/proxy';
import { saveMessage, seedBulkFolder } from '../support/seed';
import { launchChromium, openWorkbench } from './browser';
import { type CodeServer, startCodeServer } from './codeServer';
import { expectCacheHolds, expectServerState } from './oracle';
import { expandRow, Journal, openMailView, replaceUserSettings, setColorTheme, treeRow, recordStep } from './workbench';

const HOUR = 3600_000;
const LABEL = 'Work mail';
/** INBOX: UID order is not arrival order (mail imported, moved in, delayed). */
const INBOX = [
  { subject: 'Build #4821 failed on main', from: 'CI <ci@build.test>', hoursAgo: 1 },
  { subject: 'Weekly digest: 12 new issues', from: 'Issue Digest <digest@tracker.test>', hoursAgo: 26 },
  { subject: '[Bug] Crash when opening settings', from: 'Priya Raman <priya@customer.test>', hoursAgo: 3 },
  { subject: '[PATCH] settings: default the theme', from: 'Marco Rossi <marco@dev.test>', hoursAgo: 50 },
  { subject: 'Security report: XSS in the preview', from: 'Anonymous Researcher <x@unknown.test>', hoursAgo: 2 },
];
const BY_ARRIVAL = [...INBOX].sort((a, b) => a.hoursAgo - b.hoursAgo).map((m) => m.subject);
/** When each INBOX message was written and arrived, by subject (set when seeding). */
const SENT = new Map<string, Date>();

let server: DovecotServer;
let proxy: TcpProxy;
let vscode: CodeServer;
let browser: Browser;
let page: Page;

async function onServer(timeoutMs?: number): Promise<void> {
  await expectServerState(page, { server, users: { [LABEL]: DEFAULT_USER.name }, ...(timeoutMs ? { timeoutMs } : {}) });
}

function step(name: string, body: (journal: Journal) => Promise<void>): Promise<void> {
  return recordStep(page, vscode.logsDir, name, body);
}

/** The message rows under a folder row, in order (their labels). */
async function rowsUnder(folder: string): Promise<string[]> {
  const rows = page.locator('.pane-body .monaco-list-row[role="treeitem"]');
  const all = await rows.evaluateAll((els) => els.map((el) => ({
    level: Number(el.getAttribute('aria-level')),
    folder: el.hasAttribute('aria-expanded'),
    label: (el.querySelector('.label-name') as HTMLElement | null)?.innerText ?? '',
    icon: [...(el.querySelector('.custom-view-tree-node-item-icon')?.classList ?? [])].join(' '),
  })));
  const at = all.findIndex((r) => r.folder && r.label === folder);
  const out: string[] = [];
  for (let i = at + 1; i < all.length && all[i].level > all[at].level; i++) {
    if (all[i].level === all[at].level + 1 && !all[i].folder && !/fold-down|loading|info/.test(all[i].icon)) {
      out.push(all[i].label);
    }
  }
  return out;
}

/** Drags the sash between the sidebar and the editor until the sidebar is `width` px wide. */
async function sidebarWidth(width: number): Promise<void> {
  const sidebar = page.locator('.part.sidebar');
  const box = (await sidebar.boundingBox())!;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 8 });
  await page.mouse.up();
  await page.mouse.move(900, 850);
  const now = (await sidebar.boundingBox())!.width;
  assert.ok(Math.abs(now - width) <= 2, `the sidebar is ${now} px wide, not ${width}`);
}

function userSettings(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(vscode.userDataDir, 'User', 'settings.json'), 'utf8')) as Record<string, unknown>;
}

describe('the Mail tree', { timeout: 15 * 60 * 1000 }, () => {
  before(async () => {
    server = await startDovecot();
    for (const m of INBOX) {
      const date = new Date(Date.now() - m.hoursAgo * HOUR);
      SENT.set(m.subject, date);
      saveMessage(server, DEFAULT_USER.name, 'INBOX', await compose({ from: m.from, to: 'alice@example.test', subject: m.subject, text: m.subject, date }), [], date);
    }
    seedBulkFolder(server, DEFAULT_USER.name, 'Releases', 30);
    // plain IMAP on loopback, so that the proxy can tell the commands apart and hold answers back
    proxy = await startProxy({ targetPort: server.imapPort });
    const workspace = join(server.dir, 'workspace');
    mkdirSync(workspace, { recursive: true });
    vscode = await startCodeServer({
      workspace,
      settings: {
        'workbench.colorTheme': 'Default Dark Modern',
        'imapExplorer.pageSize': 10,
        'imapExplorer.accounts': [{ id: 'work', email: 'alice@example.test', label: LABEL, imap: { host: '127.0.0.1', port: proxy.port, security: 'none', user: DEFAULT_USER.name } }],
      },
    });
    browser = await launchChromium();
    page = await openWorkbench(browser, vscode.url);
  });

  after(async () => {
    await browser?.close();
    await vscode?.stop();
    await proxy?.close();
    await server?.stop();
  });

  it('first run on this machine: a neutral Sign in row with a key icon, then the folders', async () => {
    await step('tree-1-sign-in', async (journal) => {
      await openMailView(page);
      await expandRow(page, LABEL);
      const signIn = treeRow(page, /^Sign in$/);
      await signIn.waitFor({ timeout: 30000 });
      assert.equal(await signIn.locator('.custom-view-tree-node-item-icon.codicon-key').count(), 1, 'a key icon');
      assert.equal(await page.locator('.pane-body .codicon-error').count(), 0, 'nothing looks like an error');
      await journal.shot('sign-in');
      await signIn.click();
      const input = page.locator('.quick-input-widget input[type="password"]');
      await input.waitFor();
      await input.fill(DEFAULT_USER.password);
      await input.press('Enter');
      await treeRow(page, /^INBOX$/).waitFor({ timeout: 30000 });
      await signIn.waitFor({ state: 'detached' });
      await journal.shot('signed-in');
      await onServer();
    });
  });

  it('orders a folder newest by arrival, and Undo puts a moved message back in its place', async () => {
    await step('tree-2-order', async (journal) => {
      await expandRow(page, /^INBOX$/);
      await treeRow(page, BY_ARRIVAL[0]).waitFor();
      assert.deepEqual(await rowsUnder('INBOX'), BY_ARRIVAL);
      await onServer();
      await journal.shot('by-arrival');
      const moving = '[Bug] Crash when opening settings';
      await treeRow(page, moving).click();
      await page.keyboard.press('e');
      await treeRow(page, moving).waitFor({ state: 'detached' });
      assert.deepEqual(await rowsUnder('INBOX'), BY_ARRIVAL.filter((s) => s !== moving));
      await onServer();
      await treeRow(page, BY_ARRIVAL[0]).click();
      await page.keyboard.press('z');
      // back with a new UID, the highest of the folder, but in its place by arrival
      await treeRow(page, moving).waitFor();
      assert.deepEqual(await rowsUnder('INBOX'), BY_ARRIVAL);
      await onServer();
      await journal.shot('undone-in-place');
    });
  });

  it('indents message rows under a folder with "Load more" as under INBOX', async () => {
    await step('tree-3-indent', async (journal) => {
      await expandRow(page, /^Releases$/);
      await treeRow(page, /Load more/).waitFor();
      await onServer();
      const indent = async (folder: RegExp, message: string) => {
        const folderIcon = (await treeRow(page, folder).locator('.custom-view-tree-node-item-icon').boundingBox())!;
        const messageIcon = (await treeRow(page, message).locator('.custom-view-tree-node-item-icon').boundingBox())!;
        return messageIcon.x - folderIcon.x;
      };
      const underInbox = await indent(/^INBOX$/, BY_ARRIVAL[0]);
      const underReleases = await indent(/^Releases$/, (await rowsUnder('Releases'))[0]);
      assert.ok(underInbox > 0, `rows start right of INBOX's icon (${underInbox} px)`);
      assert.equal(underReleases, underInbox, 'the same indentation under every folder');
      await journal.shot('indented');
    });
  });

  it('keeps rows useful at a 300 px sidebar: the label of the account, a short date, a setting for what leads', async () => {
    await step('tree-4-narrow', async (journal) => {
      await treeRow(page, /^Releases$/).click();
      await page.keyboard.press('ArrowLeft');
      await sidebarWidth(300);
      const account = treeRow(page, LABEL);
      assert.equal((await account.locator('.label-name').innerText()).trim(), LABEL);
      assert.equal((await account.locator('.label-description').count()) ? (await account.locator('.label-description').innerText()).trim() : '', '', 'no address cut off next to it');
      await journal.shot('300-subject-dark');
      await replaceUserSettings(page, { ...userSettings(), 'imapExplorer.messageRow.lead': 'sender' });
      await treeRow(page, /^CI$/).waitFor();
      // on every row the date comes right after the sender, and is still on screen at this width
      const rows = page.locator('.pane-body .monaco-list-row[aria-level="3"]');
      assert.equal(await rows.count(), INBOX.length);
      for (let i = 0; i < INBOX.length; i++) {
        const row = rows.nth(i);
        const description = (await row.locator('.label-description').innerText()).trim();
        const [date, subject] = description.split(' · ');
        // code-server runs in English, in this machine's time zone
        assert.equal(date, new DisplayFormat('en').short(SENT.get(subject)), description);
        const visible = await row.evaluate((el, text) => {
          const node = el.querySelector('.label-description')!.firstChild!;
          const range = document.createRange();
          range.setStart(node, 0);
          range.setEnd(node, text.length);
          const container = el.querySelector('.monaco-icon-label-container')!.getBoundingClientRect();
          return range.getBoundingClientRect().right <= container.right;
        }, date);
        assert.ok(visible, `the whole date is visible on the row of ${await row.locator('.label-name').innerText()}`);
      }
      await journal.shot('300-sender-dark');
      await setColorTheme(page, 'Light Modern');
      await journal.shot('300-sender-light');
      await sidebarWidth(500);
      await journal.shot('500-sender-light');
      await replaceUserSettings(page, { ...userSettings(), 'imapExplorer.messageRow.lead': 'subject' });
      await treeRow(page, BY_ARRIVAL[0]).waitFor();
      await journal.shot('500-subject-light');
      await setColorTheme(page, 'Dark Modern');
      await journal.shot('500-subject-dark');
      await sidebarWidth(300);
      await onServer();
    });
  });

  // The cache shows the rows first; the server's answers, held back, land while VS Code draws
  // them (and while it expands INBOX again by itself, as it restores the view).
  const races = [
    { list: 300, select: 1500, fetch: 300 },
    { list: 1500, select: 50, fetch: 1500 },
    { list: 0, select: 300, fetch: 1500 },
  ];
  for (const delays of races) {
    it(`after a restart with LIST ${delays.list} ms, SELECT ${delays.select} ms, FETCH ${delays.fetch} ms, shows what the server holds`, async () => {
      await step(`tree-5-restart-${delays.list}-${delays.select}-${delays.fetch}`, async (journal) => {
        await expandRow(page, /^INBOX$/);
        await onServer();
        // the restart starts from the header cache, written a moment after the last change
        await expectCacheHolds({ server, user: DEFAULT_USER.name, folder: 'INBOX', userDataDir: vscode.userDataDir });
        // meanwhile another client: a flag, a deletion, new mail
        const [newest] = JSON.parse(server.doveadm(['-f', 'json', 'fetch', '-u', DEFAULT_USER.name, 'uid', 'mailbox', 'INBOX', 'all'])).map((r: { uid: string }) => r.uid).reverse();
        server.doveadm(['flags', 'add', '-u', DEFAULT_USER.name, '\\Flagged', 'mailbox', 'INBOX', 'uid', newest]);
        saveMessage(server, DEFAULT_USER.name, 'INBOX', await compose({ from: 'Night Shift <oncall@example.test>', to: 'alice@example.test', subject: `Arrived during restart ${delays.list}/${delays.select}/${delays.fetch}`, text: 'green again' }));
        proxy.setCommandDelays([
          { pattern: / LIST /, ms: delays.list },
          { pattern: / (SELECT|EXAMINE) /, ms: delays.select },
          { pattern: / FETCH /, ms: delays.fetch },
        ]);
        try {
          await page.reload();
          await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
          await openMailView(page);
          await expandRow(page, LABEL);
          await expandRow(page, /^INBOX$/);
          await journal.shot('cached');
          await onServer(60_000);
          await journal.shot('resynced');
        } finally {
          proxy.setCommandDelays([]);
        }
      });
    });
  }
});
