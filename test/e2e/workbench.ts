// Driving VS Code (code-server) as a person would: the activity bar, tree rows, the command
// palette, webviews. Every step can save a screenshot into test-results/<journey>/.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Frame, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT } from './codeServer';

/**
 * Runs one step of a journey with its journal (test-results/<name>/): a screenshot when it is done; on
 * failure a screenshot and VS Code's extension host logs, Escape, then the error goes on.
 */
export async function recordStep(page: Page, logsDir: string, name: string, body: (journal: Journal) => Promise<void>): Promise<void> {
  const journal = new Journal(page, name);
  try {
    await body(journal);
    await journal.shot('done');
  } catch (err) {
    await journal.shot('failure').catch(() => undefined);
    journal.saveLogs(logsDir);
    // leave no quick pick or dialog over the next step
    await page.keyboard.press('Escape').catch(() => undefined);
    throw err;
  }
}

export class Journal {
  private step = 0;
  readonly dir: string;

  constructor(
    private readonly page: Page,
    journey: string,
  ) {
    this.dir = join(REPO_ROOT, 'test-results', journey);
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
  }

  async shot(name: string): Promise<void> {
    this.step++;
    await this.page.waitForTimeout(300);
    await this.page.screenshot({ path: join(this.dir, `${String(this.step).padStart(2, '0')}-${name}.png`) });
  }

  /** Copies the extension host logs next to the screenshots (on failure). */
  saveLogs(logsDir: string): void {
    const walk = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)])) : []);
    for (const file of walk(logsDir).filter((f) => /exthost|IMAP Mailbox Explorer/.test(f))) {
      copyFileSync(file, join(this.dir, file.slice(logsDir.length + 1).replace(/[/\\]/g, '__')));
    }
  }
}

export async function openMailView(page: Page): Promise<void> {
  // with one view in the container VS Code hides the pane header: the sidebar title says "Mail"
  const title = page.locator('.part.sidebar .composite.title').filter({ hasText: /Mail/i });
  // after a reload VS Code may restore the view itself, and a click on its icon then closes it
  for (let attempt = 0; attempt < 3; attempt++) {
    if (!(await title.isVisible())) {
      await page.locator('.activitybar [aria-label^="Mail"]').first().click();
    }
    try {
      await title.waitFor({ timeout: 10000 });
      await page.waitForTimeout(300);
      if (await title.isVisible()) {
        return;
      }
    } catch {
      // clicked while the restore was closing it: look again
    }
  }
  await title.waitFor({ timeout: 10000 });
}

export function treeRow(page: Page, name: string | RegExp): Locator {
  return page.locator('.pane-body .monaco-list-row[role="treeitem"]').filter({ has: page.locator('.label-name', { hasText: name }) }).first();
}

export async function expandRow(page: Page, name: string | RegExp): Promise<void> {
  const row = treeRow(page, name);
  await row.waitFor({ timeout: 30000 });
  if ((await row.getAttribute('aria-expanded')) !== 'true') {
    // a hover tooltip of the row above can cover this one
    await page.mouse.move(700, 850);
    await page.keyboard.press('Escape');
    await row.click();
  }
}

/**
 * Opens the quick input with `key` (F1: commands, Control+P: files) and types `text` into it. VS Code
 * closes the quick input when it loses the focus, and a focus VS Code gives back late (to a view
 * just redrawn after an inline action, to the webview a dialog was opened from) can arrive after
 * the key: then the key is pressed again, as a person would, at most three times.
 */
export async function openQuickInput(page: Page, key: 'F1' | 'Control+P', text: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press(key);
    try {
      await input.waitFor({ state: 'visible', timeout: 10000 });
      await input.fill(text, { timeout: 10000 });
      return;
    } catch (err) {
      if (attempt === 3) {
        throw err;
      }
      await page.keyboard.press('Escape');
    }
  }
}

/** Opens a workspace file by name with Quick Open (Control+P), as a person would. */
export async function quickOpenFile(page: Page, name: string): Promise<void> {
  await openQuickInput(page, 'Control+P', name);
  await page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: name }).first().click();
}

export async function runCommand(page: Page, title: string): Promise<void> {
  await openQuickInput(page, 'F1', `>${title}`);
  const row = page.locator('.quick-input-widget .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
  await row.waitFor();
  await row.click();
}

/** The frame of a webview (VS Code nests each webview's document in an iframe of an iframe). */
export async function webviewFrame(page: Page, selector: string, timeoutMs = 30000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (frame.url().startsWith('vscode-webview://') || frame.url().includes('/webview/')) {
        try {
          if (await frame.$(selector)) {
            return frame;
          }
        } catch {
          // frame detached while looking
        }
      }
    }
    await page.waitForTimeout(200);
  }
  throw new Error(`no webview shows ${selector}`);
}

/** The sandboxed body frame of the message view, once it shows `text`. */
export async function messageBody(page: Page, text: string | RegExp, timeoutMs = 30000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (frame.url() === 'about:srcdoc') {
        try {
          const body = await frame.evaluate(() => document.body?.innerText ?? '');
          if (typeof text === 'string' ? body.includes(text) : text.test(body)) {
            return frame;
          }
        } catch {
          // replaced while reading
        }
      }
    }
    await page.waitForTimeout(200);
  }
  throw new Error(`no message body shows ${String(text)}`);
}

/** Switches the color theme through the palette, as a user would. */
export async function setColorTheme(page: Page, theme: string): Promise<void> {
  await runCommand(page, 'Preferences: Color Theme');
  const input = page.locator('.quick-input-widget input');
  await input.fill(theme);
  const row = page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: theme }).first();
  await row.waitFor();
  await row.click();
  // the workbench carries the kind of the theme it shows: "vs" (light) or "vs-dark"
  await page.locator(`.monaco-workbench.${/light/i.test(theme) ? 'vs' : 'vs-dark'}`).waitFor();
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  // webviews take the new colours a moment later, for the screenshots only (nothing is asserted on them)
  await page.waitForTimeout(500);
}

/** Clicks an element of the message body by its text, finding the body frame again if it was replaced. */
export async function clickInBody(page: Page, bodyText: string | RegExp, target: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const frame = await messageBody(page, bodyText);
    try {
      await frame.getByText(target, { exact: true }).first().click({ timeout: 5000 });
      return;
    } catch (err) {
      if (attempt >= 3) {
        throw err;
      }
    }
  }
}

/**
 * Replaces the user settings through the settings.json editor, as a user editing by hand would
 * (code-server does not pick up changes written to the file behind its back).
 */
export async function replaceUserSettings(page: Page, settings: Record<string, unknown>): Promise<void> {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.evaluate((text) => navigator.clipboard.writeText(text), JSON.stringify(settings, null, 2));
  await runCommand(page, 'Preferences: Open User Settings (JSON)');
  const editor = page.locator('.editor-instance .monaco-editor textarea').first();
  await editor.waitFor();
  await page.waitForTimeout(500);
  await editor.focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Control+V');
  await page.keyboard.press('Control+S');
  await page.waitForTimeout(500);
  await page.keyboard.press('Control+W');
}

/**
 * Runs a row's context menu item, as a right click and a click would. As a user would, it right-clicks
 * again when the menu closed before its item was clicked: a menu closes when the focus moves (a tab
 * closing hands the focus to the editor behind it), or swallows a click made as it opened.
 */
export async function contextMenu(page: Page, row: Locator, item: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    await row.click({ button: 'right' });
    const entry = page.locator('.context-view .action-item').filter({ has: page.locator('.action-label', { hasText: new RegExp(`^${item.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
    try {
      await entry.waitFor({ timeout: 10000 });
    } catch {
      if (await page.locator('.context-view .monaco-menu').count()) {
        throw new Error(`the context menu has no item ${item}`);
      }
      continue;
    }
    await entry.hover();
    await entry.click();
    try {
      await page.locator('.context-view .monaco-menu').waitFor({ state: 'detached', timeout: 2000 });
      return;
    } catch {
      await page.keyboard.press('Escape');
    }
  }
  throw new Error(`the context menu item ${item} could not be run`);
}

/**
 * Adds the first account with the welcome view's "Add Account" form, as a user would: the given
 * server's IMAPS port on localhost, no SMTP, and the password (Enter saves).
 */
export async function addAccountWithForm(page: Page, account: { email: string; port: number; user: string; password: string }): Promise<void> {
  await openMailView(page);
  await page.locator('.welcome-view-content').getByRole('button', { name: 'Add Account' }).click();
  const form = await webviewFrame(page, '#f-email');
  await form.locator('#f-email input').fill(account.email);
  await form.locator('#f-host input').fill('localhost');
  await form.locator('#f-port input').fill(String(account.port));
  await form.locator('#f-user input').fill(account.user);
  await form.locator('#f-smtpHost input').fill('');
  await form.locator('#f-password input').fill(account.password);
  await form.locator('#f-password input').press('Enter');
}

/** The Search view's pane. */
export function searchPane(page: Page): Locator {
  return page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: /^\s*Search/i }) });
}

/** A row of the Search view by its label. */
export function searchRow(page: Page, name: string | RegExp): Locator {
  return searchPane(page).locator('.monaco-list-row[role="treeitem"]').filter({ has: page.locator('.label-name', { hasText: name }) }).first();
}
