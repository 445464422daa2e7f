// The OAuth 2.0 journey in a real VS Code (code-server): Add Account, choose OAuth 2.0 with a
// generic issuer (oidc-provider on loopback), the browser tab VS Code opens is driven on the
// provider's login and consent pages, the folders appear from Dovecot (passdb oauth2), and after a
// restart of the window the account works again without a new sign-in: only a refresh.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Frame, type Page } from 'playwright-core';
import { DEFAULT_USER, type DovecotServer, logCount, startDovecot } from '../support/dovecot';
import { NATIVE_CLIENT_ID, type OidcServer, startOidcProvider } from '../support/oidc';
import { launchChromium, openWorkbench } from './browser';
import { type CodeServer, startCodeServer } from './codeServer';
import { expandRow, Journal, openMailView, treeRow, webviewFrame } from './workbench';

let oidc: OidcServer;
let dovecot: DovecotServer;
let vscode: CodeServer;
let browser: Browser;
let page: Page;

function userSettings(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(vscode.userDataDir, 'User', 'settings.json'), 'utf8')) as Record<string, unknown>;
}

/** Picks an option of a vscode-single-select as a user would: open it, click the option. */
async function choose(form: Frame, id: string, option: RegExp): Promise<void> {
  const select = form.locator(`#${id}`);
  await select.click();
  await select.locator('.option, li', { hasText: option }).first().click();
  await form.waitForFunction(([selector]) => (document.querySelector(selector) as unknown as { value: string }).value !== '', [`#${id}`]);
}

/** Answers VS Code's "open the external website?" dialog with Open, after checking it names the provider. */
async function openInBrowser(workbench: Page, journal?: Journal): Promise<void> {
  const dialog = workbench.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 30000 });
  assert.match(await dialog.innerText(), new RegExp(oidc.issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  await journal?.shot('open-external-dialog');
  await dialog.getByRole('button', { name: 'Open', exact: true }).click();
}

describe('OAuth 2.0 sign-in in VS Code', { timeout: 10 * 60 * 1000 }, () => {
  before(async () => {
    // not 127.0.0.1: code-server would tunnel the URL VS Code opens through its own proxy
    oidc = await startOidcProvider({ host: '127.0.0.2' });
    dovecot = await startDovecot({ oauth2: { introspectionUrl: oidc.introspectionUrl } });
    vscode = await startCodeServer({
      env: { NODE_EXTRA_CA_CERTS: join(dovecot.dir, 'ssl', 'ca.pem') },
      settings: { 'workbench.colorTheme': 'Default Dark Modern', 'window.dialogStyle': 'custom' },
    });
    browser = await launchChromium();
    page = await openWorkbench(browser, vscode.url);
  });

  after(async () => {
    await browser?.close();
    await vscode?.stop();
    await dovecot?.stop();
    await oidc?.close();
  });

  it('Add Account with OAuth 2.0 (generic issuer): browser sign-in, folders, then a restart without signing in again', async () => {
    const journal = new Journal(page, 'oauth');
    try {
      await openMailView(page);
      await page.locator('.welcome-view-content').getByRole('button', { name: 'Add Account' }).click();
      const form = await webviewFrame(page, '#f-email');
      await form.locator('#f-email input').fill('alice@example.test');
      await form.locator('#f-host input').fill('localhost');
      await form.locator('#f-port input').fill(String(dovecot.imapsPort));
      await form.locator('#f-user input').fill(DEFAULT_USER.name);
      await choose(form, 'f-signIn', /OAuth 2\.0 \(Microsoft/);
      await form.locator('#f-oauthClientId').waitFor({ state: 'visible' });
      assert.ok(await form.locator('#f-password').isHidden(), 'no password field for OAuth 2.0');
      await choose(form, 'f-oauthProvider', /Other OpenID provider/);
      await form.locator('#f-oauthIssuer input').fill(oidc.issuer);
      await form.locator('#f-oauthClientId input').fill(NATIVE_CLIENT_ID);
      await form.locator('#f-oauthScopes input').fill('openid offline_access imap smtp');
      await form.locator('#f-smtpHost input').fill('');
      await journal.shot('form-oauth');

      // Test and Save signs in first: VS Code opens the provider in a new browser tab
      const opened = page.context().waitForEvent('page', { timeout: 60000 });
      await form.locator('#save').click();
      // VS Code's link protection asks before it opens an outside address: the user says Open
      await openInBrowser(page, journal);
      const tab = await opened;
      await tab.waitForLoadState();
      assert.ok(tab.url().startsWith(oidc.issuer), `the provider opened: ${tab.url()}`);
      await form.locator('.signin-status', { hasText: /Sign in in the browser tab/ }).waitFor();
      await journal.shot('waiting-for-browser');
      await tab.fill('input[name=login]', DEFAULT_USER.name);
      await tab.fill('input[name=password]', 'the test provider checks no password');
      await tab.screenshot({ path: join(journal.dir, 'provider-login.png') });
      await tab.click('button[type=submit]');
      await tab.getByRole('button', { name: 'Continue' }).waitFor();
      await tab.screenshot({ path: join(journal.dir, 'provider-consent.png') });
      await tab.getByRole('button', { name: 'Continue' }).click();
      await tab.getByText('Signed in').waitFor();
      assert.match(new URL(tab.url()).origin, /^http:\/\/127\.0\.0\.1:\d+$/, 'the provider redirected to the loopback port');
      await tab.close();

      await treeRow(page, 'alice@example.test').waitFor({ timeout: 30000 });
      await expandRow(page, 'alice@example.test');
      for (const folder of ['INBOX', 'Drafts', 'Sent', 'Trash']) {
        await treeRow(page, folder).waitFor({ timeout: 30000 });
      }
      await journal.shot('folders');
      assert.equal(oidc.counts.success.authorization_code, 1, 'one sign-in');
      assert.ok((await logCount(dovecot, /method=OAUTHBEARER/, 1)) >= 1, 'Dovecot saw OAUTHBEARER logins');
      const saved = (userSettings()['imapExplorer.accounts'] as Array<Record<string, unknown>>)[0];
      assert.deepEqual(saved.auth, { method: 'oauth2', provider: 'generic', clientId: NATIVE_CLIENT_ID, issuer: oidc.issuer, scopes: ['openid', 'offline_access', 'imap', 'smtp'], flow: 'browser' });
      assert.doesNotMatch(JSON.stringify(userSettings()), /token"\s*:\s*"/i, 'no token in settings');

      // a restart: the access token was in memory only; the refresh token from secret storage renews it
      const refreshes = oidc.counts.success.refresh_token ?? 0;
      const pages = page.context().pages().length;
      await page.reload();
      await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
      await openMailView(page);
      await expandRow(page, 'alice@example.test');
      await treeRow(page, 'INBOX').waitFor({ timeout: 30000 });
      // the header cache may show the folders first: wait for the login behind them
      const deadline = Date.now() + 30000;
      while ((oidc.counts.success.refresh_token ?? 0) === refreshes && Date.now() < deadline) {
        await page.waitForTimeout(200);
      }
      await journal.shot('after-restart');
      assert.equal((oidc.counts.success.refresh_token ?? 0) - refreshes, 1, 'the token was refreshed once');
      const logins = await logCount(dovecot, /method=OAUTHBEARER/, 2);
      assert.ok(logins >= 2, 'and the account logged in again with it');
      assert.equal(oidc.counts.success.authorization_code, 1, 'no new sign-in');
      assert.equal(page.context().pages().length, pages, 'no browser tab opened');

      // the provider forgets every grant (a revoked or expired sign-in): one row says so and signs in again
      const port = oidc.port;
      await oidc.close();
      oidc = await startOidcProvider({ port, host: '127.0.0.2' });
      await page.reload();
      await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
      await openMailView(page);
      await expandRow(page, 'alice@example.test');
      const row = treeRow(page, /Signed out - Sign in again/);
      await row.waitFor({ timeout: 30000 });
      await journal.shot('signed-out-row');
      assert.equal(oidc.counts.error.refresh_token, 1, 'one refused refresh, no loop');
      const again = page.context().waitForEvent('page', { timeout: 60000 });
      await row.click();
      await openInBrowser(page);
      const tab2 = await again;
      await tab2.waitForLoadState();
      await tab2.fill('input[name=login]', DEFAULT_USER.name);
      await tab2.fill('input[name=password]', 'any');
      await tab2.click('button[type=submit]');
      await tab2.getByRole('button', { name: 'Continue' }).click();
      await tab2.getByText('Signed in').waitFor();
      await tab2.close();
      await treeRow(page, /Signed out - Sign in again/).waitFor({ state: 'detached', timeout: 30000 });
      await treeRow(page, 'INBOX').waitFor({ timeout: 30000 });
      await journal.shot('signed-in-again');
      assert.equal(oidc.counts.error.refresh_token, 1, 'still one refused refresh');
    } catch (err) {
      await journal.shot('failure').catch(() => undefined);
      journal.saveLogs(vscode.logsDir);
      throw err;
    }
  });
});
