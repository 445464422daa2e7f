// Issue 13, the conversation view, in a real VS Code (code-server) against a real Dovecot: INBOX
// shown as conversations, a click on a conversation of three messages (Dana's report, Alice's
// reply in Sent, Dana's answer) opens one tab with the three stacked oldest first: the read ones
// collapsed to a line, the unread newest open with its quote folded behind "Show quoted text"
// until clicked. Opening marks the open unread message read on the server; "Mark Read" on a card
// and "Mark All Read" act on the server, read back with a separate imapflow client.
// Screenshots: test-results/conversation-view/ (dark, then light).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Frame, type Locator, type Page } from 'playwright-core';
import { compose } from '../fixtures/mail';
import { appendMessages, otherClient } from '../support/append';
import { type DovecotServer, startDovecot } from '../support/dovecot';
import { type CodeServer } from './codeServer';
import { addAliceAccount, closeMailWorkbench, openMailWorkbench } from './mailWorkbench';
import { contextMenu, recordStep, runCommand, setColorTheme, treeRow, webviewFrame } from './workbench';

let server: DovecotServer;
let vscode: CodeServer;
let browser: Browser;
let page: Page;

const DANA = 'Dana Reporter <dana@reporter.test>';
const at = (day: number, hour = 9) => new Date(Date.UTC(2026, 10, day, hour));
const CRASH = '<crash-1@reporter.test>';
const REPLY = '<crash-reply@example.test>';
const ANSWER = '<crash-2@reporter.test>';

/** Message-ID to whether Dovecot holds `flag` (\Seen by default) on it, over INBOX and Sent (another IMAP client). */
async function seenOnServer(flag = '\\Seen'): Promise<Record<string, boolean>> {
  const client = await otherClient(server);
  const out: Record<string, boolean> = {};
  try {
    for (const folder of ['INBOX', 'Sent']) {
      const lock = await client.getMailboxLock(folder);
      try {
        for await (const m of client.fetch('1:*', { envelope: true, flags: true })) {
          if (m.envelope?.messageId) {
            out[m.envelope.messageId] = m.flags?.has(flag) ?? false;
          }
        }
      } finally {
        lock.release();
      }
    }
  } finally {
    await client.logout();
  }
  return out;
}

/** Waits until the server holds what `expected` says (the view's command runs after the click returns). */
async function expectSeen(expected: Record<string, boolean>, flag = '\\Seen'): Promise<void> {
  let last: Record<string, boolean> = {};
  for (let i = 0; i < 100; i++) {
    last = await seenOnServer(flag);
    if (Object.entries(expected).every(([id, seen]) => last[id] === seen)) {
      return;
    }
    await page.waitForTimeout(300);
  }
  assert.deepEqual(Object.fromEntries(Object.keys(expected).map((id) => [id, last[id]])), expected);
}

/** The Search view's rows. */
function searchRow(name: string | RegExp, level: number): Locator {
  const pane = page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: /^\s*Search/i }) });
  return pane.locator(`.monaco-list-row[role="treeitem"][aria-level="${level}"]`).filter({ has: page.locator('.label-name', { hasText: name }) }).first();
}

/** The body frames of the conversation view's cards (about:srcdoc frames under the view), by the card's text. */
async function cardBody(text: string): Promise<Frame> {
  for (let i = 0; i < 150; i++) {
    for (const frame of page.frames()) {
      if (frame.url() === 'about:srcdoc') {
        const html = await frame.evaluate(() => document.body?.innerHTML ?? '').catch(() => '');
        if (html.includes(text)) {
          return frame;
        }
      }
    }
    await page.waitForTimeout(200);
  }
  throw new Error(`no card body holds ${text}`);
}

describe('the conversation view in VS Code', { timeout: 10 * 60 * 1000 }, () => {
  before(async () => {
    server = await startDovecot();
    await appendMessages(server, [
      { folder: 'INBOX', date: at(3), flags: ['\\Seen'], raw: await compose({ from: DANA, to: 'alice@example.test', subject: 'Login crash on start', text: 'The app crashes at the login screen.', messageId: CRASH }) },
      {
        folder: 'Sent', date: at(3, 12), flags: ['\\Seen'],
        raw: await compose({ from: 'Alice <alice@example.test>', to: DANA, subject: 'Re: Login crash on start', text: 'Which version are you on?\n\nOn Tue, Dana Reporter wrote:\n> The app crashes at the login screen.', messageId: REPLY, inReplyTo: CRASH, references: CRASH }),
      },
      {
        folder: 'INBOX', date: at(4),
        raw: await compose({ from: DANA, to: 'alice@example.test', subject: 'Re: Login crash on start', text: 'Version 2.3, log attached below.\n\nOn Tue, Alice wrote:\n> Which version are you on?\n>\n> > The app crashes at the login screen.', messageId: ANSWER, inReplyTo: REPLY, references: `${CRASH} ${REPLY}` }),
      },
      { folder: 'INBOX', date: at(5), raw: await compose({ from: 'CI <ci@build.test>', to: 'alice@example.test', subject: 'Nightly build green', text: 'All 812 tests passed.', messageId: '<ci-1@build.test>' }) },
    ]);
    ({ vscode, browser, page } = await openMailWorkbench(server, { 'imapExplorer.markAsReadOnOpen': true }));
  });

  after(async () => {
    await closeMailWorkbench({ browser, vscode }, server);
  });

  it('opens a conversation of three messages stacked, folds quotes, marks all read, and comes back after a reload', async () => {
    await recordStep(page, vscode.logsDir, 'conversation-view', async (journal) => {
      await addAliceAccount(page, server, [/^INBOX$/, /^Sent$/]);
      await contextMenu(page, treeRow(page, /^INBOX$/), 'Show as Conversations');
      const thread = searchRow('Re: Login crash on start', 2);
      await thread.waitFor({ timeout: 30000 });
      await thread.locator('.label-description', { hasText: /· 3/ }).waitFor({ timeout: 30000 });
      assert.deepEqual(await seenOnServer(), { [CRASH]: true, [REPLY]: true, [ANSWER]: false, '<ci-1@build.test>': false });

      // a click on the conversation opens one tab with the three messages, oldest first
      await thread.click();
      await page.locator('.tab', { hasText: 'Re: Login crash on start' }).first().waitFor({ timeout: 30000 });
      const view = await webviewFrame(page, '.cards .card');
      await view.locator('.card').nth(2).waitFor();
      assert.equal(await view.locator('.card').count(), 3);
      assert.equal(await view.locator('h1.subject').innerText(), 'Re: Login crash on start');
      const senders = await view.locator('.card .card-from').allInnerTexts();
      assert.deepEqual(senders, ['Dana Reporter', 'Alice', 'Dana Reporter']);
      // the reply from Sent names its folder; the others are in the conversation's folder
      assert.deepEqual(await view.locator('.card').evaluateAll((cards) => cards.map((c) => c.querySelector('.card-folder')?.textContent ?? '')), ['', 'Sent', '']);
      // the read ones are collapsed to their header line with a snippet; the unread newest is open
      assert.deepEqual(await view.locator('.card').evaluateAll((cards) => cards.map((c) => c.classList.contains('collapsed'))), [true, true, false]);
      assert.equal(await view.locator('.card').nth(0).locator('.card-body').isVisible(), false);
      assert.equal(await view.locator('.card').nth(1).locator('.card-snippet').innerText(), 'Which version are you on?');
      assert.equal(await view.locator('.card').nth(0).locator('iframe').count(), 0, 'a collapsed card has no body frame yet');
      await journal.shot('opened-dark');

      // the newest card's quote is folded until "Show quoted text" is clicked
      const newest = await cardBody('Version 2.3, log attached below.');
      assert.equal(await newest.evaluate(() => document.querySelectorAll('details.mx-fold').length), 1);
      assert.doesNotMatch(await newest.evaluate(() => document.body.innerText), /Which version are you on\?/);
      assert.doesNotMatch(await newest.evaluate(() => document.body.innerText), /Alice wrote:/);
      await newest.getByText('Show quoted text').click();
      await newest.waitForFunction(() => document.body.innerText.includes('Which version are you on?'));
      assert.match(await newest.evaluate(() => document.body.innerText), /On Tue, Alice wrote:/);
      assert.match(await newest.evaluate(() => document.body.innerText), /The app crashes at the login screen\./);
      await journal.shot('quote-shown');

      // opening showed the unread message open, so it is read now (imapExplorer.markAsReadOnOpen)
      await expectSeen({ [CRASH]: true, [REPLY]: true, [ANSWER]: true });

      // a click on a collapsed card opens it; its own "Mark Unread" acts on that message only
      const first = view.locator('.card').nth(0);
      await first.locator('.card-header').click();
      await cardBody('The app crashes at the login screen.');
      assert.equal(await first.evaluate((c) => c.classList.contains('collapsed')), false);
      await first.locator('[data-action="toggleRead"]').click();
      await expectSeen({ [CRASH]: false, [REPLY]: true, [ANSWER]: true });
      await view.locator('.card.unread[data-index="0"]').waitFor({ timeout: 30000 });
      await view.locator('[data-action="markAllRead"]').click();
      await expectSeen({ [CRASH]: true, [REPLY]: true, [ANSWER]: true });
      await view.locator('.card.unread').first().waitFor({ state: 'detached', timeout: 30000 });
      const still = await seenOnServer();
      assert.equal(still['<ci-1@build.test>'], false, 'Mark All Read touched only the conversation');
      await journal.shot('all-read-dark');

      // the keys act on the current card: K/J move the focus, O opens, S flags, Shift+U / Shift+I read state
      await view.locator('h1.subject').click();
      await page.keyboard.press('k');
      const focusedCard = () => view.evaluate(() => document.activeElement?.closest('.card')?.getAttribute('data-index') ?? null);
      assert.equal(await focusedCard(), '1', 'K goes from the newest open card to the one above');
      await page.keyboard.press('o');
      await view.locator('.card[data-index="1"]:not(.collapsed)').waitFor({ timeout: 30000 });
      await page.keyboard.press('s');
      await expectSeen({ [CRASH]: false, [REPLY]: true, [ANSWER]: false }, '\\Flagged');
      await view.locator('.card.flagged[data-index="1"]').waitFor({ timeout: 30000 });
      await page.keyboard.press('Shift+U');
      await expectSeen({ [CRASH]: true, [REPLY]: false, [ANSWER]: true });
      await page.keyboard.press('Shift+I');
      await expectSeen({ [CRASH]: true, [REPLY]: true, [ANSWER]: true });
      await page.keyboard.press('j');
      assert.equal(await focusedCard(), '2');
      await journal.shot('keys-dark');

      // Flag All is one action on the two unflagged messages: one Undo takes both back
      await view.locator('[data-action="flagAll"]').click();
      await expectSeen({ [CRASH]: true, [REPLY]: true, [ANSWER]: true }, '\\Flagged');
      await runCommand(page, 'Mail: Undo Last Mail Action');
      await expectSeen({ [CRASH]: false, [REPLY]: true, [ANSWER]: false }, '\\Flagged');

      await setColorTheme(page, 'Light Modern');
      await journal.shot('all-read-light');
      await setColorTheme(page, 'Default Dark Modern');

      // a reload brings the tab back with the same conversation, read from the server again
      await page.reload();
      await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
      await page.locator('.tab', { hasText: 'Re: Login crash on start' }).first().waitFor({ timeout: 30000 });
      const restored = await webviewFrame(page, '.cards .card');
      await restored.locator('.card').nth(2).waitFor({ timeout: 30000 });
      assert.equal(await restored.locator('.card').count(), 3);
      assert.deepEqual(await restored.locator('.card .card-from').allInnerTexts(), ['Dana Reporter', 'Alice', 'Dana Reporter']);
      assert.deepEqual(await restored.locator('.card').evaluateAll((cards) => cards.map((c) => c.querySelector('.card-folder')?.textContent ?? '')), ['', 'Sent', '']);
      // the Search view drew its restored conversations without a tree error (two overlapping
      // redraws of one node once registered two objects under one id)
      await searchRow('Re: Login crash on start', 2).waitFor({ timeout: 30000 });
      assert.deepEqual(await page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts(), []);
      await journal.shot('restored-after-reload');
    });
  });
});
