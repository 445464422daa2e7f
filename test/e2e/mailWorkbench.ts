// One journey's VS Code against one Dovecot, as the search, search-actions and conversation journeys
// use it: code-server trusting the server's test CA, Chromium on its workbench, and the default user's
// account added with the welcome view's form.
import { type Browser, type Page } from 'playwright-core';
import { DEFAULT_USER, type DovecotServer } from '../support/dovecot';
import { launchChromium, openWorkbench } from './browser';
import { type CodeServer, startCodeServer } from './codeServer';
import { addAccountWithForm, expandRow, treeRow } from './workbench';

export interface MailWorkbench {
  vscode: CodeServer;
  browser: Browser;
  page: Page;
}

/** code-server (Default Dark Modern, then `settings`) that trusts `server`'s CA, and Chromium on its workbench. */
export async function openMailWorkbench(server: DovecotServer, settings: Record<string, unknown> = {}): Promise<MailWorkbench> {
  const vscode = await startCodeServer({
    env: { NODE_EXTRA_CA_CERTS: `${server.dir}/ssl/ca.pem` },
    settings: { 'workbench.colorTheme': 'Default Dark Modern', ...settings },
  });
  const browser = await launchChromium();
  return { vscode, browser, page: await openWorkbench(browser, vscode.url) };
}

/** Closes what openMailWorkbench started, and the server: whichever of them did start. */
export async function closeMailWorkbench(workbench: Partial<MailWorkbench>, server: DovecotServer | undefined): Promise<void> {
  await workbench.browser?.close();
  await workbench.vscode?.stop();
  await server?.stop();
}

/**
 * Adds alice@example.test (the server's default user on its IMAPS port) with the form, expands the
 * account and waits until each of `folders` is listed.
 */
export async function addAliceAccount(page: Page, server: DovecotServer, folders: RegExp[]): Promise<void> {
  await addAccountWithForm(page, { email: 'alice@example.test', port: server.imapsPort, user: DEFAULT_USER.name, password: DEFAULT_USER.password });
  await expandRow(page, 'alice@example.test');
  for (const folder of folders) {
    await treeRow(page, folder).waitFor({ timeout: 30000 });
  }
}
