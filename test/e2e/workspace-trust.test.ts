// A hostile repository cannot redirect the user's password or change what is trusted (issue 15.6):
// its .vscode/settings.json defines an account with the user's own id, pointing at a second Dovecot
// on another port (with its certificate pinned and a sign-in command), trusts a newsletter sender
// and turns the cache off. In a real VS Code (code-server) nothing of it takes effect: the account
// talks to the user's server only, the second server never sees a connection, the newsletter stays
// blocked, no command runs, saving the account writes back only the user's own account, and the
// user is told why the workspace values were ignored.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page } from 'playwright-core';
import { fixtureMessages, SUBJECTS } from '../fixtures/mail';
import { opensslFingerprint } from '../support/doctor';
import { DEFAULT_USER, type DovecotServer, logCount, startDovecot } from '../support/dovecot';
import { type CountingServer, startCountingServer } from '../support/http';
import { seedFixtures } from '../support/seed';
import { launchChromium, openWorkbench } from './browser';
import { type CodeServer, startCodeServer } from './codeServer';
import { expandRow, Journal, openMailView, treeRow, webviewFrame, contextMenu, messageBody } from './workbench';

let mine: DovecotServer;
let attacker: DovecotServer;
let remote: CountingServer;
let vscode: CodeServer;
let browser: Browser;
let page: Page;
let markers: string[];
/** Connections the attacker's server logged before VS Code started (the test's own port probes). */
let attackerBaseline: number;

const ACCOUNT = { id: 'alice-example-test', email: 'alice@example.test' };

function userSettings(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(vscode.userDataDir, 'User', 'settings.json'), 'utf8')) as Record<string, unknown>;
}

/** The extension's own log (the output channel), as VS Code wrote it to disk. */
function extensionLog(): string {
  const walk = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)])) : []);
  return walk(vscode.logsDir)
    .filter((f) => /IMAP Mailbox Explorer/.test(f))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
}

describe('a workspace cannot change where credentials go or what is trusted', { timeout: 10 * 60 * 1000 }, () => {
  before(async () => {
    remote = await startCountingServer();
    mine = await startDovecot();
    seedFixtures(mine, DEFAULT_USER.name, await fixtureMessages({ remoteOrigin: remote.origin, big: false }));
    // the attacker's server would accept the password: a leak would show as a login in its log
    attacker = await startDovecot({ certificate: 'self-signed' });
    attackerBaseline = await logCount(attacker, /imap-login:/, 2);
    const workspace = join(mine.dir, 'repository');
    mkdirSync(join(workspace, '.vscode'), { recursive: true });
    markers = [join(workspace, 'command-ran'), join(workspace, 'second-command-ran')];
    const redirect = { host: '127.0.0.1', port: attacker.imapsPort, security: 'tls', user: DEFAULT_USER.name };
    writeFileSync(
      join(workspace, '.vscode', 'settings.json'),
      JSON.stringify(
        {
          'imapExplorer.accounts': [
            { ...ACCOUNT, imap: redirect, pinnedCertificate: opensslFingerprint(attacker.cert.cert), smtp: { host: '127.0.0.1', port: attacker.imapPort, security: 'none' }, auth: { method: 'command', command: ['touch', markers[0]], output: 'password' } },
            { id: 'evil', email: 'evil@evil.test', imap: redirect, auth: { method: 'command', command: ['touch', markers[1]], output: 'password' } },
          ],
          'imapExplorer.remoteContent.trustedSenders': ['news@newsletter.test'],
          'imapExplorer.cache.enabled': false,
        },
        null,
        2,
      ),
    );
    vscode = await startCodeServer({
      workspace,
      env: { NODE_EXTRA_CA_CERTS: join(mine.dir, 'ssl', 'ca.pem') },
      settings: {
        'workbench.colorTheme': 'Default Dark Modern',
        'window.dialogStyle': 'custom',
        'imapExplorer.accounts': [{ ...ACCOUNT, imap: { host: 'localhost', port: mine.imapsPort, security: 'tls', user: DEFAULT_USER.name } }],
      },
    });
    browser = await launchChromium();
    page = await openWorkbench(browser, vscode.url);
  });

  after(async () => {
    await browser?.close();
    await vscode?.stop();
    await attacker?.stop();
    await mine?.stop();
    await remote?.close();
  });

  it('the workspace account, its pin, its command and its trusted sender are ignored, and the user is told', async () => {
    const journal = new Journal(page, 'workspace-trust');
    try {
      await openMailView(page);
      await treeRow(page, ACCOUNT.email).waitFor({ timeout: 30000 });
      const warning = page.locator('.notifications-toasts .notification-toast', { hasText: /This workspace sets imapExplorer\.accounts/ });
      await warning.waitFor({ timeout: 30000 });
      assert.match(await warning.innerText(), /read from your user settings only, so the workspace value is ignored/);
      await journal.shot('workspace-ignored-warning');
      assert.equal(await treeRow(page, 'evil@evil.test').count(), 0, 'the workspace cannot add an account');

      // the user's own password, entered for the user's own server
      await expandRow(page, ACCOUNT.email);
      await treeRow(page, /^Sign in$/).click();
      const input = page.locator('.quick-input-widget input');
      await input.waitFor();
      await input.fill(DEFAULT_USER.password);
      await input.press('Enter');
      await treeRow(page, 'INBOX').waitFor({ timeout: 30000 });
      await journal.shot('folders-from-my-server');
      assert.ok((await logCount(mine, /imap-login: Info: Login: user=<alice>/, 1)) >= 1, 'the user\'s server had the login');

      // the newsletter sender the workspace "trusted" stays blocked
      await expandRow(page, 'INBOX');
      await treeRow(page, SUBJECTS.html).click();
      const view = await webviewFrame(page, '#remote-bar');
      await messageBody(page, 'This week');
      assert.ok(await view.locator('#remote-bar').isVisible(), 'remote content is still blocked');
      assert.equal(remote.requests.length, 0, 'no remote request');
      await journal.shot('newsletter-still-blocked');

      // saving the account writes back the user's account only
      await contextMenu(page, treeRow(page, ACCOUNT.email), 'Edit Account');
      const form = await webviewFrame(page, '#f-email');
      assert.equal(await form.locator('#f-port input').inputValue(), String(mine.imapsPort), 'the form shows the user\'s server');
      await form.locator('#save').click();
      await page.locator('.notifications-toasts .notification-toast', { hasText: /Account alice@example\.test saved/ }).waitFor({ timeout: 30000 });
      await journal.shot('saved');
      const saved = userSettings()['imapExplorer.accounts'] as Array<Record<string, unknown>>;
      assert.deepEqual(saved.map((a) => a.id), [ACCOUNT.id], 'no workspace account was merged into user settings');
      assert.deepEqual((saved[0].imap as Record<string, unknown>).port, mine.imapsPort);
      assert.equal(saved[0].pinnedCertificate, undefined);
      assert.equal(saved[0].auth, undefined);
      assert.equal(userSettings()['imapExplorer.remoteContent.trustedSenders'], undefined);

      // the second server never saw a connection, no command ran, and the log says why
      assert.equal(await logCount(attacker, /imap-login:/, attackerBaseline), attackerBaseline, 'nothing connected to the other server');
      assert.equal(await logCount(attacker, /user=<[^>]|auth failed|Login:/, 0), 0, 'no login was tried there');
      assert.ok(!existsSync(markers[0]) && !existsSync(markers[1]), 'no command from the workspace ran');
      const log = extensionLog();
      assert.match(log, /imapExplorer\.accounts is set in the workspace folder settings; it is ignored/);
      assert.match(log, /imapExplorer\.remoteContent\.trustedSenders is set in the workspace folder settings; it is ignored/);
      assert.ok(!log.includes(DEFAULT_USER.password), 'the password is not in the log');
    } catch (err) {
      await journal.shot('failure').catch(() => undefined);
      journal.saveLogs(vscode.logsDir);
      throw err;
    }
  });
});
