// Issue 13 in a real VS Code (code-server) against a real Dovecot: a user presses `/` in the Mail
// view, types `from:dana@reporter.test is:unread`, sees exactly the messages Dovecot holds for it
// (each with its folder), opens one, saves the search, reopens VS Code and finds the saved search
// with its unread count, then shows INBOX as conversations and opens a conversation that includes
// the reply in Sent. Screenshots: test-results/search-*/ (dark, then light).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { compose } from '../fixtures/mail';
import { appendMessages } from '../support/append';
import { DEFAULT_USER, type DovecotServer, startDovecot } from '../support/dovecot';
import { type CodeServer } from './codeServer';
import { addAliceAccount, closeMailWorkbench, openMailWorkbench } from './mailWorkbench';
import { contextMenu, expandRow, messageBody, openMailView, recordStep, setColorTheme, treeRow } from './workbench';

let server: DovecotServer;
let vscode: CodeServer;
let browser: Browser;
let page: Page;

const QUERY = 'from:dana@reporter.test is:unread';
const DANA = 'Dana Reporter <dana@reporter.test>';
const at = (day: number, hour = 9) => new Date(Date.UTC(2026, 10, day, hour));

/** The Search view's pane. */
function searchPane(): Locator {
  return page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: /^\s*Search/i }) });
}

/** A row of the Search view by its label. */
function searchRow(name: string | RegExp): Locator {
  return searchPane().locator('.monaco-list-row[role="treeitem"]').filter({ has: page.locator('.label-name', { hasText: name }) }).first();
}

/** The Mail view's pane (Mailboxes). */
function mailPane(): Locator {
  return page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: /^\s*Mailboxes/i }) });
}

/** Labels of the rows directly under `parent` (the rows after it one level deeper, until the next sibling), in the Search view or another pane. */
async function childLabels(parent: Locator, pane: Locator = searchPane()): Promise<string[]> {
  const level = Number(await parent.getAttribute('aria-level'));
  const label = (await parent.locator('.label-name').innerText()).trim();
  const rows = await pane.locator('.monaco-list-row[role="treeitem"]').evaluateAll((els) =>
    els.map((el) => ({ top: parseFloat((el as HTMLElement).style.top || '0'), level: Number(el.getAttribute('aria-level')), label: (el.querySelector('.label-name')?.textContent ?? '').trim() })));
  rows.sort((a, b) => a.top - b.top);
  const start = rows.findIndex((r) => r.level === level && r.label === label);
  const out: string[] = [];
  for (const row of rows.slice(start + 1)) {
    if (row.level <= level) {
      break;
    }
    if (row.level === level + 1) {
      out.push(row.label);
    }
  }
  return out;
}

/** The subjects (with their folder) of the messages Dovecot finds for the query, from doveadm. */
function dovecotUnreadFromDana(): string[] {
  const out = server.doveadm(['fetch', '-u', DEFAULT_USER.name, 'mailbox hdr.subject', 'mailbox', '*', 'from', 'dana@reporter.test', 'unseen']);
  const found: string[] = [];
  let mailbox = '';
  for (const line of out.split('\n')) {
    if (line.startsWith('mailbox: ')) {
      mailbox = line.slice('mailbox: '.length).trim();
    } else if (line.startsWith('hdr.subject: ')) {
      found.push(`${mailbox}: ${line.slice('hdr.subject: '.length).trim()}`);
    }
  }
  return found.sort();
}

describe('search, saved searches and conversations in VS Code', { timeout: 10 * 60 * 1000 }, () => {
  before(async () => {
    server = await startDovecot();
    const crash = '<crash-1@reporter.test>';
    const reply = '<crash-reply@example.test>';
    await appendMessages(server, [
      { folder: 'INBOX', date: at(2), flags: ['\\Seen'], raw: await compose({ from: DANA, to: 'alice@example.test', subject: 'Export broken', text: 'Export writes an empty file.', messageId: '<export@reporter.test>' }) },
      { folder: 'INBOX', date: at(3), raw: await compose({ from: DANA, to: 'alice@example.test', subject: 'Login crash on start', text: 'The app crashes at the login screen.', messageId: crash }) },
      { folder: 'Sent', date: at(3, 12), flags: ['\\Seen'], raw: await compose({ from: 'Alice <alice@example.test>', to: DANA, subject: 'Re: Login crash on start', text: 'Which version are you on?', messageId: reply, inReplyTo: crash, references: crash }) },
      { folder: 'INBOX', date: at(4), raw: await compose({ from: DANA, to: 'alice@example.test', subject: 'Re: Login crash on start', text: 'Version 2.3, log attached below.', messageId: '<crash-2@reporter.test>', inReplyTo: reply, references: `${crash} ${reply}` }) },
      { folder: 'INBOX', date: at(5), raw: await compose({ from: 'CI <ci@build.test>', to: 'alice@example.test', subject: 'Nightly build green', text: 'All 812 tests passed.', messageId: '<ci-1@build.test>' }) },
      { folder: 'Archive', date: at(1), raw: await compose({ from: DANA, to: 'alice@example.test', subject: 'Crash on resume', text: 'Older report, archived unread.', messageId: '<resume@reporter.test>' }) },
    ]);
    ({ vscode, browser, page } = await openMailWorkbench(server, { 'imapExplorer.markAsReadOnOpen': true }));
  });

  after(async () => {
    await closeMailWorkbench({ browser, vscode }, server);
  });

  it('searches from:dana is:unread, opens a result, saves it, sees it after a restart, shows a conversation', async () => {
    await recordStep(page, vscode.logsDir, 'search-journey', async (journal) => {
      await addAliceAccount(page, server, [/^INBOX$/, /^Archive$/]);

      // `/` in the Mail view opens the search input; completion offers the field names
      await treeRow(page, 'alice@example.test').click();
      await page.keyboard.press('/');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor();
      await input.pressSequentially('fro');
      await page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: 'from:' }).first().waitFor();
      await journal.shot('completion');
      await input.fill(QUERY);
      await page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: `Search: ${QUERY}` }).first().waitFor();
      await input.press('Enter');

      // the result: exactly what Dovecot finds, each row with its folder
      const result = searchRow(`Search: ${QUERY}`);
      await result.waitFor({ timeout: 30000 });
      const expected = dovecotUnreadFromDana();
      assert.deepEqual(expected, ['Archive: Crash on resume', 'INBOX: Login crash on start', 'INBOX: Re: Login crash on start']);
      await result.locator('.label-description', { hasText: `${expected.length} found` }).waitFor({ timeout: 30000 });
      const rows = await childLabels(result);
      assert.deepEqual([...rows].sort(), expected.map((e) => e.slice(e.indexOf(': ') + 2)).sort());
      // newest first, and the folder is shown on each row
      assert.deepEqual(rows, ['Re: Login crash on start', 'Login crash on start', 'Crash on resume']);
      assert.match(await searchRow('Crash on resume').locator('.label-description').innerText(), /^Archive · Dana Reporter · /);
      assert.equal(await searchRow('Nightly build green').count(), 0, 'CI mail is not from Dana');
      assert.equal(await searchRow('Export broken').count(), 0, 'read mail is not unread');
      await journal.shot('results');

      // open one: the message view shows it, its row turns read (INBOX is not loaded in the Mail
      // view: the row follows our own STORE), and it is read on the server
      await searchRow('Re: Login crash on start').click();
      await messageBody(page, 'Version 2.3, log attached below.');
      await searchRow('Re: Login crash on start').locator('.custom-view-tree-node-item-icon.codicon-mail-read').waitFor({ timeout: 30000 });
      assert.deepEqual(dovecotUnreadFromDana(), ['Archive: Crash on resume', 'INBOX: Login crash on start']);
      await journal.shot('opened');

      // save the search
      await contextMenu(page, result, 'Save Search...');
      const name = page.locator('.quick-input-widget input');
      await name.waitFor();
      await name.fill('Unread from Dana');
      await name.press('Enter');
      const saved = searchRow('Unread from Dana');
      await saved.waitFor({ timeout: 30000 });
      await expectUnread(saved);
      await journal.shot('saved');

      // reopen VS Code: the saved search is there with its count
      await page.reload();
      await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
      await openMailView(page);
      await searchRow('Unread from Dana').waitFor({ timeout: 60000 });
      await expectUnread(searchRow('Unread from Dana'));
      await journal.shot('saved-after-restart');
      // expanding it runs it
      await searchRow('Unread from Dana').click();
      await searchRow('Crash on resume').waitFor({ timeout: 30000 });
      const newestFirst = ['Re: Login crash on start', 'Login crash on start', 'Crash on resume'];
      const stillUnread = dovecotUnreadFromDana().map((e) => e.slice(e.indexOf(': ') + 2));
      assert.deepEqual(await childLabels(searchRow('Unread from Dana')), newestFirst.filter((s) => stillUnread.includes(s)));

      // INBOX as conversations: the crash report, Alice's reply in Sent and Dana's answer are one
      await expandRow(page, 'alice@example.test');
      await contextMenu(page, treeRow(page, /^INBOX$/), 'Show as Conversations');
      await journal.shot('conversations-asked');
      const conversations = searchRow('Conversations: INBOX');
      await conversations.waitFor({ timeout: 30000 });
      await conversations.locator('.label-description', { hasText: /3 conversations/ }).waitFor({ timeout: 30000 });
      assert.deepEqual(await childLabels(conversations), ['Nightly build green', 'Re: Login crash on start', 'Export broken']);
      const thread = searchPane().locator('.monaco-list-row[role="treeitem"][aria-level="2"]').filter({ has: page.locator('.label-name', { hasText: 'Re: Login crash on start' }) });
      assert.match(await thread.locator('.label-description').innerText(), /Dana Reporter, Alice · 3/);
      // a click on the row opens the conversation view; the twistie expands it
      await thread.locator('.monaco-tl-twistie').click();
      // a conversation's messages are drawn together: the one from Sent is among them, its folder first
      const fromSent = searchPane().locator('.monaco-list-row[role="treeitem"][aria-level="3"]').filter({ has: page.locator('.label-description', { hasText: /^Sent · / }) });
      await fromSent.waitFor({ timeout: 30000 });
      assert.deepEqual(await childLabels(thread), ['Login crash on start', 'Re: Login crash on start', 'Re: Login crash on start']);
      assert.match(await fromSent.locator('.label-description').innerText(), /^Sent · Alice · /);
      await fromSent.click();
      await messageBody(page, 'Which version are you on?');
      await journal.shot('conversation-dark');
      await setColorTheme(page, 'Light Modern');
      await journal.shot('conversation-light');
      await setColorTheme(page, 'Default Dark Modern');
    });
  });

  it('toggles Unread and This conversation from the folder and the message, shows them in the label, and clears them', async () => {
    await recordStep(page, vscode.logsDir, 'quick-filter-journey', async (journal) => {
      await openMailView(page);
      await expandRow(page, 'alice@example.test');
      const inbox = mailPane().locator('.monaco-list-row[role="treeitem"]').filter({ has: page.locator('.label-name', { hasText: /^INBOX\b/ }) }).first();
      await inbox.waitFor({ timeout: 30000 });
      if ((await inbox.getAttribute('aria-expanded')) !== 'true') {
        await inbox.click();
      }
      const all = dovecotInbox(['all']);
      assert.equal(all.length, 4);
      await expectChildren(inbox, all);

      // the folder's inline icon: check boxes, Unread checked
      await inbox.hover();
      await inbox.locator('.action-label[aria-label="Quick Filter..."]').click();
      const pick = page.locator('.quick-input-widget');
      await pick.locator('.monaco-list-row').filter({ hasText: 'Unread' }).first().waitFor();
      await journal.shot('quick-filter-picker');
      await pick.locator('.monaco-list-row').filter({ hasText: 'Unread' }).first().click();
      await page.keyboard.press('Enter');
      await inbox.locator('.label-name', { hasText: /^INBOX · Unread$/ }).waitFor({ timeout: 30000 });
      const unread = dovecotInbox(['unseen']);
      assert.ok(unread.length >= 1 && unread.length < all.length, `some but not all of INBOX is unread: ${unread.join(', ')}`);
      await expectChildren(inbox, unread);
      await journal.shot('filtered-unread');

      // on a message: This conversation, on top of Unread
      const report = mailPane().locator('.monaco-list-row[role="treeitem"]').filter({ has: page.locator('.label-name', { hasText: /^Login crash on start$/ }) }).first();
      if (unread.includes('Login crash on start')) {
        await contextMenu(page, report, 'Quick Filter: This Conversation');
        await inbox.locator('.label-name', { hasText: /^INBOX · Unread, This conversation$/ }).waitFor({ timeout: 30000 });
        // the conversation's unread messages in INBOX (its reply from Sent is not in this folder)
        await expectChildren(inbox, unread.filter((s) => /Login crash on start/.test(s)));
        await journal.shot('filtered-conversation');
      }

      // the filtered folder's inline icon clears every filter
      await inbox.hover();
      await inbox.locator('.action-label[aria-label="Clear Quick Filter"]').click();
      await inbox.locator('.label-name', { hasText: /^INBOX$/ }).waitFor({ timeout: 30000 });
      await expectChildren(inbox, all);
      await journal.shot('filter-cleared-dark');
      await setColorTheme(page, 'Light Modern');
      await inbox.hover();
      await inbox.locator('.action-label[aria-label="Quick Filter..."]').click();
      await pick.locator('.monaco-list-row').filter({ hasText: 'Unread' }).first().click();
      await page.keyboard.press('Enter');
      await inbox.locator('.label-name', { hasText: /^INBOX · Unread$/ }).waitFor({ timeout: 30000 });
      await journal.shot('filtered-unread-light');
      await inbox.locator('.action-label[aria-label="Clear Quick Filter"]').click();
      await inbox.locator('.label-name', { hasText: /^INBOX$/ }).waitFor({ timeout: 30000 });
      await setColorTheme(page, 'Default Dark Modern');
    });
  });
});

/** Subjects of INBOX's messages that Dovecot holds with `flags` (doveadm search keys, e.g. ['unseen']), newest first by arrival. */
function dovecotInbox(keys: string[]): string[] {
  const out = server.doveadm(['fetch', '-u', DEFAULT_USER.name, 'date.received hdr.subject', 'mailbox', 'INBOX', ...keys]);
  const found: Array<{ date: string; subject: string }> = [];
  for (const line of out.split('\n')) {
    if (line.startsWith('date.received: ')) {
      found.push({ date: line.slice('date.received: '.length).trim(), subject: '' });
    } else if (line.startsWith('hdr.subject: ')) {
      found[found.length - 1].subject = line.slice('hdr.subject: '.length).trim();
    }
  }
  return found.sort((a, b) => b.date.localeCompare(a.date)).map((f) => f.subject);
}


/** The Mail view shows exactly these rows under the folder, in this order (waits for the redraw). */
async function expectChildren(folder: Locator, subjects: string[]): Promise<void> {
  const deadline = Date.now() + 30000;
  let shown: string[] = [];
  while (Date.now() < deadline) {
    shown = await childLabels(folder, mailPane());
    if (shown.join('\n') === subjects.join('\n')) {
      return;
    }
    await page.waitForTimeout(200);
  }
  assert.deepEqual(shown, subjects);
}

/** The saved search's row shows the unread count Dovecot has for its query (the server is settled: the opened message's row turned read). */
async function expectUnread(row: Locator): Promise<void> {
  const count = dovecotUnreadFromDana().length;
  await row.locator('.label-description', { hasText: new RegExp(`^\\s*${count} unread\\s*$`) }).waitFor({ timeout: 30000 });
}
