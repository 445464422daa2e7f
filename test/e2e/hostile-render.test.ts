// Hostile mail in a real VS Code (code-server), opened as .eml files: the extension host answers
// commands while a worst-case mail renders in the render worker (issue 15.2); a link that hides its
// host is refused and a deceptive one defaults to "Don't Open" (15.4, 16.4); remote content loads
// only after consent, by the host, without a Referer, and a reopened message says it is loaded
// (15.8, 16.10). Screenshots go to test-results/hostile-render/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Frame, type Page } from 'playwright-core';
import { compose } from '../fixtures/mail';
import { materialize } from '../support/hostile';
import { type CountingServer, startCountingServer } from '../support/http';
import { launchChromium, openWorkbench } from './browser';
import { type CodeServer, REPO_ROOT, startCodeServer } from './codeServer';
import { Journal, messageBody, openMailView, openQuickInput, webviewFrame } from './workbench';

let remote: CountingServer;
let vscode: CodeServer;
let browser: Browser;
let page: Page;

// copies of ../shared/cases/security (the repository must not depend on files outside it)
const CASES = join(REPO_ROOT, 'test', 'fixtures', 'security');

async function journey(name: string, body: (journal: Journal) => Promise<void>): Promise<void> {
  const journal = new Journal(page, `hostile-render/${name}`);
  try {
    await body(journal);
    await journal.shot('done');
  } catch (err) {
    await journal.shot('failure').catch(() => undefined);
    journal.saveLogs(vscode.logsDir);
    throw err;
  }
}

/** The review's worst cases together, as large as the render budgets let them be. */
function worstCaseHtml(): string {
  return '<p>Worst case</p>'
    + `<p style="${'a'.repeat(120_000)}">style</p>`.repeat(4)
    + `<style>${'body .a > p:not(.b), html td::before{color:red;background:#fff}'.repeat(12_000)}</style>`
    + '<div>'.repeat(200_000) + 'deep' + '</div>'.repeat(200_000);
}

/** The host's log lines for the end of a render of `title` (messageView.ts), with when it ended and started. */
function extensionLogLines(): string[] {
  const walk = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)])) : []);
  return walk(vscode.logsDir)
    .filter((f) => /IMAP Mailbox Explorer/.test(f))
    .flatMap((f) => readFileSync(f, 'utf8').split('\n'));
}

/** When the host ran "Test a Server..." (its log line, before it shows the input box), host clock. */
function commandRuns(): number[] {
  return extensionLogLines()
    .map((line) => /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3}) \[info\] Test a Mail Server: asking/.exec(line))
    .filter((m): m is RegExpExecArray => Boolean(m))
    .map((m) => new Date(`${m[1]}T${m[2]}`).getTime());
}

function renderEnds(title: string): { at: number; started: number; line: string }[] {
  return extensionLogLines()
    .map((line) => ({ line, match: /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3}) \[info\] Rendered (.*) in \d+ ms/.exec(line) }))
    .filter(({ match }) => match?.[3] === title)
    // VS Code writes its log times in local time, as new Date() reads them
    .map(({ line, match }) => ({ at: new Date(`${match![1]}T${match![2]}`).getTime(), line }))
    .map((end) => ({ ...end, started: end.at - Number(/in (\d+) ms/.exec(end.line)![1]) }));
}

/** Opens a workspace file from the Explorer, as a user would (focus may be inside a webview). */
async function openFile(name: string): Promise<void> {
  const row = page.locator('.explorer-folders-view .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
  await row.waitFor({ timeout: 30000 });
  await row.click();
}

/** The custom dialog VS Code shows for a modal message (window.dialogStyle: custom). */
function dialog() {
  return page.locator('.monaco-dialog-box');
}

/** Clicks the link of the message body whose target ends with `path`. */
async function clickLink(frame: Frame, path: string): Promise<void> {
  await frame.locator(`[data-href$="${path}"]`).first().click();
}

describe('hostile mail rendering in VS Code', { timeout: 10 * 60 * 1000 }, () => {
  before(async () => {
    remote = await startCountingServer({ '/news.css': { type: 'text/css', body: '.banner{background:url(http://{{REMOTE}}/css-banner.png) no-repeat;height:40px}' } });
    const workspace = join(REPO_ROOT, 'test-results', 'hostile-render-workspace');
    mkdirSync(workspace, { recursive: true });
    writeFileSync(join(workspace, 'worst-case.eml'), await compose({ from: 'reporter@evil.test', to: 'alice@example.test', subject: 'Worst case', html: worstCaseHtml(), text: 'Worst case, plain' }));
    for (const file of ['link-userinfo-encoded-slash.eml', 'css-string-newline-comment.eml']) {
      writeFileSync(join(workspace, file), materialize(readFileSync(join(CASES, file)), remote.hostPort));
    }
    writeFileSync(join(workspace, 'deceptive.eml'), await compose({ from: 'security@bank.test', to: 'alice@example.test', subject: 'Deceptive link', html: `<p>Sign in at <a href="${remote.origin}/phish">https://github.com/login</a></p><p>Or <a href="${remote.origin}/hidden">https://git<span style="font-size:0">evil</span>hub.com</a></p>` }));
    writeFileSync(join(workspace, 'newsletter.eml'), await compose({ from: 'news@newsletter.test', to: 'alice@example.test', subject: 'Newsletter with remote content', html: `<html><head><style>@import url(${remote.origin}/news.css); body{background:#eef1f5}</style></head><body><div class="banner"></div><p>This week</p><img src="${remote.origin}/pixel.gif" alt="pixel"><img srcset="${remote.origin}/photo.png 1x" alt="photo"></body></html>` }));
    vscode = await startCodeServer({
      workspace,
      settings: { 'workbench.colorTheme': 'Default Dark Modern', 'window.dialogStyle': 'custom', 'imapExplorer.remoteContent.allowPrivateNetwork': true },
    });
    browser = await launchChromium();
    page = await openWorkbench(browser, vscode.url);
    // activate the extension first: an .eml opened before it registered its editor opens as text
    await openMailView(page);
    await page.locator('.activitybar [aria-label^="Explorer"]').first().click();
    await page.locator('.explorer-folders-view').waitFor();
    // popups the browser would open for a link (VS Code's openExternal in the web)
    page.context().on('page', (popup) => void popup.close());
  });

  after(async () => {
    await browser?.close();
    await vscode?.stop();
    await remote?.close();
  });

  // The extension host answers a command while the worst case renders: the command's input box
  // appears after the render started and before it ended, by the host's own log line for that render
  // (its end and duration, on this machine's clock). A host blocked by the render (rendering on its
  // own thread) could run the command only after the render ended. The command is typed while the
  // mail loads and run once the view says "Preparing", so the browser's latency under load does not
  // eat the render's 5 s. (VS Code shows a custom editor only once resolveCustomEditor returns, which
  // no longer waits for the render: before, "Preparing" was never on screen.)
  it('answers a command while a worst-case mail renders, then shows the mail', async () => {
    await journey('1-worst-case', async (journal) => {
      // a first message view, so the webview machinery is up before the worst case arrives
      await openFile('deceptive.eml');
      await messageBody(page, 'Sign in at', 60000);
      const rendersBefore = renderEnds('worst-case.eml').length;
      await openFile('worst-case.eml');
      // the command is typed into the palette while the mail loads, and run once it renders
      await openQuickInput(page, 'F1', '>Mail: Test a Server...');
      const row = page.locator('.quick-input-widget .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: /^Mail: Test a Server\.\.\.$/ }) }).first();
      await row.waitFor();
      await webviewFrame(page, '.loading[data-phase="rendering"]', 120000);
      const preparing = Date.now();
      assert.equal(renderEnds('worst-case.eml').length, rendersBefore, 'the view said "Preparing" before the render ended');
      // the host runs the command and shows its input box while the worker still renders
      await row.click();
      const ran = Date.now();
      const input = page.locator('.quick-input-widget').filter({ hasText: 'Test a Mail Server' });
      await input.waitFor({ timeout: 120000 });
      const answered = Date.now();
      const times = `Preparing seen ${new Date(preparing).toISOString()}, command run ${new Date(ran).toISOString()}, answered ${new Date(answered).toISOString()}`;
      process.stderr.write(`${times}\n`);
      await journal.shot('command-answered-while-rendering');
      await page.keyboard.press('Escape');
      await messageBody(page, 'Worst case', 120000);
      const ends = renderEnds('worst-case.eml');
      assert.equal(ends.length, rendersBefore + 1, 'the host logged the end of the render');
      const ended = ends[ends.length - 1]!;
      // both times from the host's own log, so the browser's latency under load cannot move them: a
      // host blocked by the render would run the command only after the render's end was logged
      const runs = commandRuns();
      assert.equal(runs.length, 1, 'the host ran the command once');
      assert.ok(ended.started <= runs[0]! && runs[0]! < ended.at, `the host ran the command while the render ran: ${new Date(runs[0]!).toISOString()}; ${times}; ${ended.line}`);
      // rendered within its budget (the deepest parts shown as text), or past it shown as plain text
      const notices = await (await webviewFrame(page, '#subject')).locator('.notice').allInnerTexts();
      assert.ok(notices.some((n) => /nests its elements deeper than the viewer follows|took too long to display safely/.test(n)), notices.join(' | '));
      await journal.shot('worst-case-shown');
    });
  });

  it('refuses a link that hides its host behind a user name, and opens nothing', async () => {
    await journey('2-userinfo-link', async (journal) => {
      remote.reset();
      await openFile('link-userinfo-encoded-slash.eml');
      const body = await messageBody(page, 'A new comment on your issue');
      await clickLink(body, '@github.com/login');
      const toast = page.locator('.notifications-toasts').getByText(/a user name in it hides its real host/);
      await toast.waitFor({ timeout: 15000 });
      await journal.shot('refused');
      assert.equal(await dialog().count(), 0, 'no dialog offers to open it');
      assert.deepEqual(remote.requests, []);
    });
  });

  it('warns about a deceptive link with "Don\'t Open" as the default: Enter opens nothing', async () => {
    await journey('3-deceptive-link', async (journal) => {
      remote.reset();
      await openFile('deceptive.eml');
      const body = await messageBody(page, 'Sign in at');
      await clickLink(body, '/phish');
      await dialog().waitFor({ timeout: 15000 });
      const text = await dialog().innerText();
      assert.match(text, /shows a different address than the one it goes to/);
      assert.ok(text.includes(`${remote.origin}/phish`), text);
      // the default button (primary, focused: what Enter presses) is the safe one
      assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), "Don't Open");
      await journal.shot('deceptive-dialog');
      await page.keyboard.press('Enter');
      await dialog().waitFor({ state: 'detached', timeout: 10000 });
      await page.waitForTimeout(1000);
      assert.deepEqual(remote.requests, [], 'Enter did not open the page');
      // text hidden by CSS is a lie too
      await clickLink(body, '/hidden');
      await dialog().waitFor({ timeout: 15000 });
      assert.match(await dialog().innerText(), /text hidden from view/);
      await journal.shot('hidden-text-dialog');
      await page.keyboard.press('Escape');
      await dialog().waitFor({ state: 'detached', timeout: 10000 });
    });
  });

  it('counts what a CSS string trick would load, loads remote content only after consent, and says so when reopened', async () => {
    await journey('4-remote-content', async (journal) => {
      remote.reset();
      await openFile('css-string-newline-comment.eml');
      await messageBody(page, 'Status: all green');
      const bar = (await webviewFrame(page, '#remote-bar')).locator('#remote-bar');
      assert.match(await bar.innerText(), /Remote content blocked \(1 item\)/);
      await journal.shot('css-trick-counted');

      await openFile('newsletter.eml');
      await messageBody(page, 'This week');
      let view = await webviewFrame(page, '#remote-bar[data-state="blocked"]');
      assert.match(await view.locator('#remote-bar').innerText(), /Remote content blocked \(3 items\)/);
      await page.waitForTimeout(500);
      assert.equal(remote.requests.length, 0, 'nothing loads before consent');
      await journal.shot('newsletter-blocked');
      await view.getByText('Load for this message').click();
      view = await webviewFrame(page, '#remote-bar[data-state="loaded"]', 30000);
      assert.match(await view.locator('#remote-bar').innerText(), /Remote content loaded for this message/);
      assert.deepEqual(remote.requests.map((r) => r.url).sort(), ['/css-banner.png', '/news.css', '/photo.png', '/pixel.gif']);
      for (const request of remote.requests) {
        assert.equal(request.headers.referer, undefined, request.url);
        assert.equal(request.headers.cookie, undefined, request.url);
      }
      await journal.shot('newsletter-loaded');

      // reopened: the state shows and nothing is fetched again
      remote.reset();
      await page.locator('.tabs-container .tab').filter({ hasText: 'newsletter.eml' }).locator('.codicon-close').first().click({ force: true });
      await page.locator('.tabs-container .tab').filter({ hasText: 'newsletter.eml' }).waitFor({ state: 'detached', timeout: 10000 });
      await openFile('deceptive.eml');
      await messageBody(page, 'Sign in at');
      await openFile('newsletter.eml');
      view = await webviewFrame(page, '#remote-bar[data-state="loaded"]', 30000);
      await page.waitForTimeout(500);
      assert.deepEqual(remote.requests, [], 'reopening did not fetch again');
      await journal.shot('newsletter-reopened');
      await view.getByText('Block again').click();
      await webviewFrame(page, '#remote-bar[data-state="blocked"]', 30000);
      await journal.shot('newsletter-blocked-again');
    });
  });
});
