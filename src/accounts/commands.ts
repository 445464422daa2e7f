// Account commands: add, edit, remove, retry, enter a password, trust a certificate.
import * as vscode from 'vscode';
import { type AccountConfig, accountLabel } from '../core/account';
import { MailError } from '../core/errors';
import { probeCertificate, type PinStore } from '../core/tls';
import { AccountNode } from '../tree/nodes';
import { type MailTreeProvider } from '../tree/provider';
import { type CommandTable } from '../util/commands';
import { AccountForm, type AccountFormDeps } from './accountForm';
import { type AccountStore } from './accountStore';
import { type Keychain } from './keychain';
import { type SessionPool } from './sessions';
import { dates } from '../util/dates';
import { showInfo, showInputBox, showModal, showQuickPick, t, uiPlain, uiVerbatim, withProgress } from '../util/ui';
import { type AccountAuth } from './signIn';

export interface AccountCommandDeps {
  accounts: AccountStore;
  keychain: Keychain;
  auth: AccountAuth;
  pins: PinStore;
  sessions: SessionPool;
  tree: MailTreeProvider;
  form: Omit<AccountFormDeps, 'saved'>;
}

/** Commands get an AccountNode from the tree, an id from a row's command, or nothing from the palette. */
async function pickAccount(accounts: AccountStore, arg: unknown): Promise<AccountConfig | undefined> {
  if (arg instanceof AccountNode) {
    return arg.account;
  }
  if (typeof arg === 'string') {
    return accounts.get(arg);
  }
  const all = accounts.all();
  if (all.length <= 1) {
    return all[0];
  }
  const picked = await showQuickPick(
    all.map((a) => ({ label: uiPlain(accountLabel(a)), description: uiPlain(a.email), account: a })),
    { placeHolder: t('Choose an account') },
  );
  return picked?.account;
}

export function accountCommands(deps: AccountCommandDeps): CommandTable {
  const { accounts, keychain, auth, pins, sessions, tree } = deps;
  const formDeps: AccountFormDeps = {
    ...deps.form,
    saved: (account) => {
      sessions.drop(account.id);
      tree.refresh();
    },
  };
  return {
    'imapExplorer.addAccount': () => {
      AccountForm.show(formDeps);
    },
    'imapExplorer.editAccount': async (arg?: unknown) => {
      const account = await pickAccount(accounts, arg);
      if (account) {
        AccountForm.show(formDeps, account);
      }
    },
    'imapExplorer.removeAccount': async (arg?: unknown) => {
      const account = await pickAccount(accounts, arg);
      if (!account) {
        return;
      }
      const remove = t('Remove');
      const choice = await showModal(
        t('Remove the account {0}?', uiPlain(account.email)),
        { detail: account.auth?.method === 'oauth2' ? t('Its settings and sign-in are deleted from VS Code, and the sign-in is revoked at the provider where it allows that. Nothing is deleted on the server.') : t('Its settings and stored password are deleted from VS Code. Nothing is deleted on the server.') },
        remove,
      );
      if (choice !== remove) {
        return;
      }
      sessions.drop(account.id);
      await auth.signOut(account);
      await accounts.remove(account.id);
      tree.refresh();
    },
    'imapExplorer.retryAccount': async (arg?: unknown) => {
      const account = await pickAccount(accounts, arg);
      if (account) {
        sessions.get(account.id).retry();
        tree.refreshAccount(account.id);
      }
    },
    'imapExplorer.enterPassword': async (arg?: unknown) => {
      const account = await pickAccount(accounts, arg);
      if (!account) {
        return;
      }
      const password = await showInputBox({
        title: t('Password for {0}', uiPlain(account.email)),
        password: true,
        ignoreFocusOut: true,
        prompt: t('Stored in VS Code\'s secret storage.'),
      });
      if (password) {
        // bound to the account's servers as they are now; the secret change drops the session and
        // refreshes the account's rows (extension.ts)
        await keychain.store(account, 'password', password);
      }
    },
    'imapExplorer.signIn': async (arg?: unknown) => {
      const account = await pickAccount(accounts, arg);
      if (!account) {
        return;
      }
      if (account.auth?.method !== 'oauth2') {
        if (account.auth?.method === 'command') {
          sessions.get(account.id).retry();
          tree.refreshAccount(account.id);
          return;
        }
        await vscode.commands.executeCommand('imapExplorer.enterPassword', account.id);
        return;
      }
      await signInAgain(auth, account);
      sessions.drop(account.id);
      tree.refreshAccount(account.id);
    },
    'imapExplorer.trustCertificate': async (arg?: unknown) => {
      const account = await pickAccount(accounts, arg);
      if (!account) {
        return;
      }
      const known = tree.accountError(account.id)?.details.certificate ?? sessions.get(account.id).lastError?.details.certificate;
      const { host, port, security } = account.imap;
      const certificate = known ?? (await probeCertificate(host, port, security));
      const trust = t('Trust This Certificate');
      const choice = await showModal(
        t('{0} presented a certificate that no trusted authority vouches for.', uiPlain(host)),
        {
          detail: t('Subject: {0}\nIssuer: {1}\nValid until: {2}\nSHA-256: {3}\n\nTrust it only if this fingerprint is the one your server administrator gave you. Any other certificate will then be refused for this account.',
            uiPlain(certificate.subject), uiPlain(certificate.issuer), uiPlain(dates().day(certificate.validTo) || certificate.validTo), uiVerbatim(certificate.sha256)),
        },
        trust,
      );
      if (choice !== trust) {
        return;
      }
      if (!certificate.pem) {
        throw new MailError('TLS_FAILED', vscode.l10n.t('The certificate could not be read; try again.'));
      }
      await pins.set(certificate.sha256, certificate.pem);
      await accounts.save({ ...account, pinnedCertificate: certificate.sha256 });
      sessions.drop(account.id);
      tree.refresh();
    },
  };
}

/**
 * "Sign in again": the account's OAuth flow with a cancellable progress notification; the device
 * code is shown in a notification with a button that copies it and opens the page.
 */
async function signInAgain(auth: AccountAuth, account: AccountConfig): Promise<void> {
  await withProgress(
    { title: t('Signing in to {0}...', uiPlain(account.email)), cancellable: true },
    async (_progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      const tokens = await auth.signIn(account, {
        signal: abort.signal,
        showDeviceCode: (code) => {
          const copy = t('Copy Code and Open Page');
          const target = code.verificationUriComplete ?? code.verificationUri;
          void showInfo(t('To sign in, open {0} and enter the code {1}.', uiVerbatim(code.verificationUri), uiVerbatim(code.userCode)), copy)
            .then(async (choice) => {
              if (choice === copy) {
                await vscode.env.clipboard.writeText(code.userCode);
                await vscode.env.openExternal(vscode.Uri.parse(target, true));
              }
            });
        },
      });
      await auth.adopt(account, tokens);
    },
  );
}
