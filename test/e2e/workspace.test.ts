// Mail meets the workspace, in a real VS Code (code-server) whose workspace folder is a git
// repository: a patch series applied with Apply to Workspace and seen in Source Control, a stack
// frame in a bug report clicked open at its line, and a link to a message copied and opened.
// Screenshots of each step go to test-results/workspace-*/.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { cloneTarget, gitIn, makePatchFixtures, type PatchFixtures } from '../fixtures/patches';
import { DEFAULT_USER, type DovecotServer, startDovecot } from '../support/dovecot';
import { createFolders, saveMessage } from '../support/seed';
import { launchChromium, openWorkbench } from './browser';
import { type CodeServer, startCodeServer } from './codeServer';
import { expandRow, type Journal, messageBody, openMailView, recordStep, runCommand, setColorTheme, treeRow } from './workbench';

let server: DovecotServer;
let fixtures: PatchFixtures;
let repo: string;
let baseCommit: string;
let vscode: CodeServer;
let browser: Browser;
let page: Page;

const BUG_SUBJECT = 'Crash in retry() on the staging box';
const LIST_SUBJECT = 'Release planning for 2.0';

function mail(subject: string, id: string, body: string): Buffer {
  return Buffer.from(`From: Dana Reporter <dana@reporter.test>\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMessage-ID: ${id}\r\nDate: Tue, 03 Mar 2026 12:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body.replace(/\n/g, '\r\n')}`);
}

function htmlMail(subject: string, id: string, html: string): Buffer {
  return Buffer.from(`From: Dana Reporter <dana@reporter.test>\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMessage-ID: ${id}\r\nDate: Tue, 03 Mar 2026 13:00:00 +0000\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html.replace(/\n/g, '\r\n')}`);
}

const HTML_BUG_SUBJECT = 'Nightly build crashed in the parser';
const ATTACHED_SUBJECT = /^\[PATCH\] CONTRIBUTING: how to send patches$/;

/** The labels of a tree row's context menu (closed again). */
async function contextMenuOf(name: string | RegExp): Promise<string[]> {
  await page.mouse.move(700, 850);
  await treeRow(page, name).click({ button: 'right' });
  const items = page.locator('.context-view .action-item .action-label');
  await items.first().waitFor();
  const labels = (await items.allInnerTexts()).map((l) => l.trim()).filter(Boolean);
  await page.keyboard.press('Escape');
  await items.first().waitFor({ state: 'hidden' });
  // the row's hover tooltip would stay over the rows below
  await page.mouse.move(700, 850);
  await page.keyboard.press('Escape');
  await page.locator('.monaco-hover, .workbench-hover').first().waitFor({ state: 'hidden' }).catch(() => undefined);
  return labels;
}

/** The message body frame once it shows a diff (a patch attachment's is added after the body). */
async function diffBody(timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (frame.url() === 'about:srcdoc' && (await frame.$('.d2h-file-name').catch(() => null))) {
        return frame;
      }
    }
    await page.waitForTimeout(200);
  }
  throw new Error('no message body shows a diff');
}

function journey(name: string, body: (journal: Journal) => Promise<void>): Promise<void> {
  return recordStep(page, vscode.logsDir, name, body);
}

/** The message body frame once it has code links. */
async function linkedBody(timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (frame.url() === 'about:srcdoc' && (await frame.$('a[data-mx-code]').catch(() => null))) {
        return frame;
      }
    }
    await page.waitForTimeout(200);
  }
  throw new Error('no message body shows code links');
}

/** Back to the Mail view from another one (its unread badge covers the middle of the icon). */
async function showMailView(): Promise<void> {
  const title = page.locator('.part.sidebar .composite.title').filter({ hasText: /Mail/i });
  if (!(await title.isVisible())) {
    await page.locator('.activitybar [aria-label^="Mail"]').first().click({ force: true });
  }
  await openMailView(page);
}

async function closeEditors(): Promise<void> {
  await runCommand(page, 'View: Close All Editors');
  await page.waitForTimeout(300);
}

/**
 * A seeded Dovecot, a clone of the fixtures' repository as the workspace, code-server with
 * `env` for its extension host, and the account signed in with INBOX expanded.
 */
async function launch(env: Record<string, string> = {}, extra: (f: PatchFixtures) => Buffer[] = () => []): Promise<void> {
  fixtures = makePatchFixtures();
  repo = cloneTarget(fixtures, 'workspace');
  baseCommit = gitIn(repo, ['rev-parse', '--short=10', 'origin/main']).trim();
  server = await startDovecot();
  for (const raw of [fixtures.v2.cover, ...fixtures.v2.parts, fixtures.reviewReply, fixtures.ackReply, fixtures.attached, ...extra(fixtures)]) {
    saveMessage(server, DEFAULT_USER.name, 'INBOX', raw);
  }
  saveMessage(server, DEFAULT_USER.name, 'INBOX', mail(BUG_SUBJECT, '<bug-1@reporter.test>', `Hi,\n\nretry() gives up too early:\n\nTraceback (most recent call last):\n  File "/srv/deploy/releases/41/lib/util.py", line 2, in retry\n    return fn()\nOSError: connection reset\n\nThe C side also logged src/parser.c:10 once.\nIt started with ${baseCommit}, I think.\n\nDana\n`));
  saveMessage(server, DEFAULT_USER.name, 'INBOX', htmlMail(HTML_BUG_SUBJECT, '<bug-2@reporter.test>', '<html><body><p>The nightly run crashed:</p>\n<pre>Traceback (most recent call last):\n  File "/home/ci/nightly/lib/util.py", line 2, in retry\n    return fn()\nValueError: empty input</pre>\n<p>The parser warned at <code>src/parser.c:5</code> before. Logs: <a href="https://ci.example.test/run/7">src/parser.c:7</a></p></body></html>'));
  createFolders(server, DEFAULT_USER.name, ['Lists']);
  saveMessage(server, DEFAULT_USER.name, 'Lists', mail(LIST_SUBJECT, '<plan+2.0/"q"@lists.example.test>', 'Let us plan the release.\n'));
  vscode = await startCodeServer({
    workspace: repo,
    env: { NODE_EXTRA_CA_CERTS: join(server.dir, 'ssl', 'ca.pem'), ...env },
    settings: {
      'workbench.colorTheme': 'Default Dark Modern',
      'window.dialogStyle': 'custom',
      'git.autofetch': false,
      'imapExplorer.accounts': [{ id: 'alice', email: 'alice@example.test', imap: { host: 'localhost', port: server.imapsPort, security: 'tls', user: DEFAULT_USER.name } }],
    },
  });
  browser = await launchChromium();
  page = await openWorkbench(browser, vscode.url);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await openMailView(page);
  await expandRow(page, 'alice@example.test');
  await treeRow(page, /^Sign in$/).click();
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(DEFAULT_USER.password);
  await input.press('Enter');
  await expandRow(page, /^INBOX$/);
}

async function shutDown(): Promise<void> {
  await browser?.close();
  await vscode?.stop();
  await server?.stop();
  fixtures?.remove();
}

describe('mail meets the workspace', { timeout: 10 * 60 * 1000 }, () => {
  before(() => launch());
  after(shutDown);

  it('marks patch mail in the tree, with the patch commands in its context menu, and shows an attached patch as a diff', async () => {
    await journey('workspace-0-patch-rows', async (journal) => {
      const part = /^\[PATCH v2 2\/3\] util: retry a few times$/;
      await treeRow(page, part).waitFor({ timeout: 30000 });
      assert.ok(await treeRow(page, part).locator('.codicon-diff').count(), 'a patch has the diff icon');
      assert.match((await treeRow(page, part).getAttribute('aria-label')) ?? '', /^Patch\. /, 'a screen reader hears "Patch" first');
      assert.match((await treeRow(page, /^\[PATCH v2 0\/3\] Retry support$/).getAttribute('aria-label')) ?? '', /^Patch series\. /);
      assert.doesNotMatch((await treeRow(page, BUG_SUBJECT).getAttribute('aria-label')) ?? '', /^Patch/);
      assert.ok(await treeRow(page, /^\[PATCH v2 0\/3\] Retry support$/).locator('.codicon-git-pull-request').count(), 'a cover letter has the series icon');
      assert.equal(await treeRow(page, BUG_SUBJECT).locator('.codicon-diff, .codicon-git-pull-request').count(), 0);
      const onPart = await contextMenuOf(part);
      for (const command of ['Apply to Workspace', 'Open Patch as Diff', 'Reply with Review']) {
        assert.ok(onPart.includes(command), `${command} on a patch: ${onPart.join(', ')}`);
      }
      const onCover = await contextMenuOf(/^\[PATCH v2 0\/3\] Retry support$/);
      assert.ok(onCover.includes('Apply to Workspace') && !onCover.includes('Open Patch as Diff'), `cover letter: ${onCover.join(', ')}`);
      const onBug = await contextMenuOf(BUG_SUBJECT);
      assert.ok(!onBug.includes('Apply to Workspace') && onBug.includes('Copy Link to Message'), `bug report: ${onBug.join(', ')}`);
      await journal.shot('patch-rows');

      // git format-patch --attach: the commit message from the body, the diff from the attachment
      await treeRow(page, ATTACHED_SUBJECT).click();
      const body = await diffBody();
      assert.match(await body.locator('.d2h-file-name').first().innerText(), /CONTRIBUTING\.md/);
      assert.ok(await body.locator('.d2h-ins').count(), 'the added lines are coloured');
      assert.match(await body.locator('.mx-patch-message').innerText(), /Signed-off-by: Carla Contributor/);
      await body.getByText('Send patches to list@example.test.').first().waitFor();
      await journal.shot('attached-patch');
      await setColorTheme(page, 'Light Modern');
      await journal.shot('attached-patch-light');
      await setColorTheme(page, 'Default Dark Modern');
      await closeEditors();
    });
  });

  it('applies a patch series to the workspace and shows its commits in Source Control', async () => {
    await journey('workspace-1-apply-series', async (journal) => {
      await treeRow(page, /^\[PATCH v2 2\/3\] util: retry a few times$/).click();
      const body = await messageBody(page, 'Five attempts by default.');
      assert.ok(await body.locator('.d2h-ins').count(), 'the diff is shown with coloured hunks');
      assert.match(await body.locator('.d2h-file-name').first().innerText(), /lib\/util\.py/);
      await journal.shot('patch-view');
      await setColorTheme(page, 'Light Modern');
      await journal.shot('patch-view-light');
      await setColorTheme(page, 'Default Dark Modern');

      // Open as Diff: the patch applied in memory to the workspace's lib/util.py
      await runCommand(page, 'Mail: Open Patch as Diff');
      await page.locator('.tabs-container .tab.active').filter({ hasText: /lib\/util\.py/ }).waitFor({ timeout: 30000 });
      await page.locator('.monaco-diff-editor .editor.modified .view-lines').getByText('for _ in range(times - 1):').first().waitFor();
      await journal.shot('open-as-diff');
      await closeEditors();

      // Reply with Review: a Reply All quoting the patch, for comments under its lines
      await treeRow(page, /^\[PATCH v2 2\/3\] util: retry a few times$/).click();
      await messageBody(page, 'Five attempts by default.');
      await runCommand(page, 'Mail: Reply with Review');
      const draft = page.locator('.editor-instance .monaco-editor .view-lines').first();
      await draft.getByText('> +def retry(fn, times=5):').waitFor({ timeout: 30000 });
      // Monaco renders spaces as no-break spaces
      const draftText = (await draft.innerText()).replace(/\u00a0/g, ' ');
      assert.match(draftText, /To:\s*Carla Contributor <carla@example\.test>/);
      assert.match(draftText, /Cc:\s*list@example\.test/);
      assert.match(draftText, /Subject:\s*Re: \[PATCH v2 2\/3\] util: retry a few times/);
      await journal.shot('reply-with-review');
      await closeEditors();
      await treeRow(page, /^\[PATCH v2 2\/3\] util: retry a few times$/).click();
      await messageBody(page, 'Five attempts by default.');

      await runCommand(page, 'Mail: Apply to Workspace');
      const pick = page.locator('.quick-input-widget');
      await pick.locator('.quick-input-title').getByText(/Apply 3 patches of "Retry support" v2/).waitFor();
      const choice = pick.locator('.monaco-list-row').filter({ hasText: 'Apply on a new branch: retry-support-v2, with 4 review trailers' });
      await choice.waitFor();
      assert.match(await choice.innerText(), /Acked-by: Max Maintainer <max@example\.test>, Reviewed-by: Rita Reviewer/);
      await journal.shot('apply-options');
      await choice.click();

      const toast = page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'Applied 3 commits on the new branch retry-support-v2 with 4 review trailers.' });
      await toast.waitFor({ timeout: 60000 });
      await journal.shot('applied');
      // what the repository now holds
      assert.equal(gitIn(repo, ['branch', '--show-current']).trim(), 'retry-support-v2');
      assert.deepEqual(gitIn(repo, ['log', '--reverse', '--format=%s', 'origin/main..HEAD']).trim().split('\n'), ['parser: accept empty input', 'util: retry a few times', 'docs: describe retries']);
      const util = gitIn(repo, ['log', '-1', '--format=%B', 'HEAD~1']);
      assert.match(util, /Reviewed-by: Rita Reviewer <rita@example\.test>\nAcked-by: Max Maintainer <max@example\.test>/);

      await toast.getByRole('button', { name: 'Show in Source Control' }).click();
      // the branch in the status bar and the commits in the Source Control Graph
      await page.locator('.statusbar-item').filter({ hasText: 'retry-support-v2' }).first().waitFor({ timeout: 30000 });
      const graph = page.locator('.part.sidebar');
      await graph.getByText('docs: describe retries').first().waitFor({ timeout: 30000 });
      await graph.getByText('util: retry a few times').first().waitFor();
      await journal.shot('source-control');
      await closeEditors();
      await showMailView();
    });
  });

  it('opens the workspace file at the line of a stack frame clicked in a bug report', async () => {
    await journey('workspace-2-stack-frame', async (journal) => {
      await treeRow(page, BUG_SUBJECT).click();
      await messageBody(page, 'OSError: connection reset');
      // the body is shown at once, then again with the frames linked once they are resolved
      const body = await linkedBody();
      const frame = body.locator('a[data-mx-code]').filter({ hasText: 'lib/util.py", line 2' });
      assert.match(await frame.getAttribute('title') ?? '', /Open lib\/util\.py, line 2/);
      // the C reference resolves too, the commit of the workspace's repository is a link; nothing else
      assert.deepEqual(await body.locator('a[data-mx-code]').allInnerTexts(), ['File "/srv/deploy/releases/41/lib/util.py", line 2', 'src/parser.c:10', baseCommit]);
      await journal.shot('bug-report');
      await frame.click();
      const tab = page.locator('.tabs-container .tab.active').filter({ hasText: 'util.py' });
      await tab.waitFor({ timeout: 30000 });
      await page.locator('.statusbar-item').filter({ hasText: /Ln 2, Col 1/ }).first().waitFor({ timeout: 10000 });
      const line = page.locator('.editor-instance .view-overlays .current-line');
      assert.ok(await line.count(), 'the cursor line is highlighted');
      await journal.shot('editor-at-line');

      // the commit hash opens the commit
      await page.locator('.tabs-container .tab').filter({ hasText: BUG_SUBJECT }).click();
      await (await linkedBody()).locator('a[data-mx-code]').filter({ hasText: baseCommit }).click();
      await page.locator('.tabs-container .tab.active').filter({ hasText: '.diff' }).waitFor({ timeout: 30000 });
      await page.locator('.editor-instance .view-lines').getByText('Author:     Max Maintainer').first().waitFor();
      await journal.shot('commit');
      await closeEditors();
      await showMailView();

      // an HTML bug report: the frames in its text are links too, the mail's own link stays its own
      await treeRow(page, HTML_BUG_SUBJECT).click();
      const html = await linkedBody();
      assert.deepEqual(await html.locator('a[data-mx-code]').allInnerTexts(), ['File "/home/ci/nightly/lib/util.py", line 2', 'src/parser.c:5']);
      assert.equal(await html.locator('a[data-href]').filter({ hasText: 'src/parser.c:7' }).count(), 1);
      await journal.shot('html-bug-report');
      await html.locator('a[data-mx-code]').filter({ hasText: 'src/parser.c:5' }).click();
      await page.locator('.tabs-container .tab.active').filter({ hasText: 'parser.c' }).waitFor({ timeout: 30000 });
      await page.locator('.statusbar-item').filter({ hasText: /Ln 5, Col 1/ }).first().waitFor({ timeout: 10000 });
      await journal.shot('html-editor-at-line');
      await closeEditors();
      await showMailView();
    });
  });

  it('copies a link to a message and opens that link', async () => {
    await journey('workspace-3-message-link', async (journal) => {
      await expandRow(page, /^Lists$/);
      await treeRow(page, LIST_SUBJECT).click();
      await messageBody(page, 'Let us plan the release.');
      await runCommand(page, 'Mail: Copy Link to Message');
      let link = '';
      for (let i = 0; i < 50 && !link.includes('/message/'); i++) {
        link = await page.evaluate(() => navigator.clipboard.readText());
        await page.waitForTimeout(100);
      }
      assert.match(link, /^[\w-]+:\/\/imap-explorer\.imap-mailbox-explorer\/message\/plan%2B2\.0%2F%22q%22%40lists\.example\.test$/);
      await closeEditors();
      await journal.shot('link-copied');

      await runCommand(page, 'Mail: Open Message Link...');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor();
      await input.fill(link);
      await input.press('Enter');
      await messageBody(page, 'Let us plan the release.');
      await page.locator('.tabs-container .tab.active').filter({ hasText: LIST_SUBJECT }).waitFor();
      await journal.shot('link-opened');
    });
  });
});

/** What the extension wrote to its output channel so far. */
function extensionLog(): string {
  const walk = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)])) : []);
  return walk(vscode.logsDir).filter((f) => /IMAP Mailbox Explorer\.log$/.test(f)).map((f) => readFileSync(f, 'utf8')).join('\n');
}

// The path a UI-side extension takes in a Remote-SSH, WSL, Dev Container or Codespaces window:
// git as VS Code tasks (ProcessExecution, run by the workbench's terminal), inputs and results as
// files through vscode.workspace.fs, no git extension API. IMAP_EXPLORER_GIT_RUNNER=task forces
// it for this local repository (read once at activation; tests only).
describe('mail meets the workspace with git run as VS Code tasks', { timeout: 10 * 60 * 1000 }, () => {
  before(() => launch({ IMAP_EXPLORER_GIT_RUNNER: 'task' }, (f) => [f.conflicting]));
  after(shutDown);

  it('applies a series through tasks, links a commit, and stops and aborts a conflicting patch', async () => {
    await journey('workspace-4-task-runner', async (journal) => {
      assert.match(extensionLog(), /git runs as VS Code tasks \(IMAP_EXPLORER_GIT_RUNNER, tests only\)/);
      await treeRow(page, /^\[PATCH v2 2\/3\] util: retry a few times$/).click();
      await messageBody(page, 'Five attempts by default.');
      await runCommand(page, 'Mail: Apply to Workspace');
      const pick = page.locator('.quick-input-widget');
      // the branch name comes from .git/HEAD, read through vscode.workspace.fs
      await pick.locator('.monaco-list-row').filter({ hasText: 'Apply on main' }).first().waitFor({ timeout: 30000 });
      const choice = pick.locator('.monaco-list-row').filter({ hasText: 'Apply on a new branch: retry-support-v2, with 4 review trailers' });
      await choice.click();
      const toast = page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'Applied 3 commits on the new branch retry-support-v2 with 4 review trailers.' });
      await toast.waitFor({ timeout: 120000 });
      await journal.shot('applied-by-tasks');
      assert.equal(gitIn(repo, ['branch', '--show-current']).trim(), 'retry-support-v2');
      assert.deepEqual(gitIn(repo, ['log', '--reverse', '--format=%s', 'origin/main..HEAD']).trim().split('\n'), ['parser: accept empty input', 'util: retry a few times', 'docs: describe retries']);
      assert.match(gitIn(repo, ['log', '-1', '--format=%B', 'HEAD~1']), /Reviewed-by: Rita Reviewer <rita@example\.test>\nAcked-by: Max Maintainer <max@example\.test>/);
      assert.equal(gitIn(repo, ['status', '--porcelain']), '');
      assert.ok(!existsSync(join(repo, '.git', 'imap-explorer')) || readdirSync(join(repo, '.git', 'imap-explorer')).length === 0, 'the staged mail is removed');
      const log = extensionLog();
      for (const command of ['git switch -c retry-support-v2', 'git am -3 --patch-format=mbox', 'git interpret-trailers --in-place', 'git hash-object -t commit -w', 'git update-ref']) {
        assert.ok(log.includes(`git via a VS Code task: ${command}`), `${command} ran as a task`);
      }
      // the git extension sees the new commits from the repository's files
      await toast.getByRole('button', { name: 'Show in Source Control' }).click();
      await page.locator('.statusbar-item').filter({ hasText: 'retry-support-v2' }).first().waitFor({ timeout: 30000 });
      await page.locator('.part.sidebar').getByText('docs: describe retries').first().waitFor({ timeout: 30000 });
      await journal.shot('source-control');
      await closeEditors();
      await showMailView();

      // a commit hash in a bug report: found and shown by git run as tasks
      await treeRow(page, BUG_SUBJECT).click();
      const body = await linkedBody(60000);
      await body.locator('a[data-mx-code]').filter({ hasText: baseCommit }).click();
      await page.locator('.tabs-container .tab.active').filter({ hasText: '.diff' }).waitFor({ timeout: 60000 });
      await page.locator('.editor-instance .view-lines').getByText('Author:     Max Maintainer').first().waitFor({ timeout: 30000 });
      await journal.shot('commit-by-task');
      await closeEditors();
      await showMailView();

      // a patch that conflicts with what was applied: git's am state, Open Conflicts, Abort
      await treeRow(page, /^\[PATCH\] parser: return -1 for NULL$/).click();
      await runCommand(page, 'Mail: Apply to Workspace');
      await pick.locator('.monaco-list-row').filter({ hasText: 'Apply on retry-support-v2' }).first().click({ timeout: 30000 });
      const stopped = page.locator('.notifications-toasts .notification-toast').filter({ hasText: /did not apply\. Conflicts in src\/parser\.c\./ });
      await stopped.waitFor({ timeout: 120000 });
      await journal.shot('conflict-by-task');
      // a non-zero exit is git's answer, not a terminal failure to report
      assert.equal(await page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'The terminal process' }).count(), 0);
      assert.match(gitIn(repo, ['status'], { LC_ALL: 'C' }), /You are in the middle of an am session/);
      await stopped.getByRole('button', { name: 'Open Conflicts' }).click();
      await page.locator('.tabs-container .tab.active').filter({ hasText: 'parser.c' }).waitFor({ timeout: 30000 });
      await page.locator('.editor-instance .view-lines').getByText(/^<<<<<<<\sHEAD/).first().waitFor({ timeout: 30000 });
      await journal.shot('conflicts-open');
      await runCommand(page, 'Mail: Abort Patch Apply (git am --abort)');
      await page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'git am was aborted' }).waitFor({ timeout: 60000 });
      assert.doesNotMatch(gitIn(repo, ['status'], { LC_ALL: 'C' }), /am session/);
      assert.equal(gitIn(repo, ['log', '-1', '--format=%s']).trim(), 'docs: describe retries');
      await journal.shot('aborted');
      await closeEditors();
    });
  });
});
