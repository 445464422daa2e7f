// "Test Connection" on an account and "Test a Server..." for any host: the connection doctor with
// step-by-step progress, then the report.
import * as vscode from 'vscode';
import { type AccountStore } from '../accounts/accountStore';
import { type Keychain } from '../accounts/keychain';
import { type SessionPool } from '../accounts/sessions';
import { type AccountAuth } from '../accounts/signIn';
import { type AccountConfig, usesToken } from '../core/account';
import { toMailError } from '../core/errors';
import { type DoctorOptions, runDoctor } from '../core/doctor';
import { type Endpoint } from '../core/doctor/types';
import { type PinStore } from '../core/tls';
import { plainLabel } from '../core/text';
import { AccountNode } from '../tree/nodes';
import { type MailTreeProvider } from '../tree/provider';
import { type CommandTable } from '../util/commands';
import { showInputBox, showQuickPick, t, uiFormat, uiLiteral, uiPlain, withProgress } from '../util/ui';
import { type PinRequest, showReport } from './reportPanel';

export interface DoctorDeps {
  accounts: AccountStore;
  keychain: Keychain;
  auth: AccountAuth;
  pins: PinStore;
  sessions: SessionPool;
  tree: MailTreeProvider;
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
}

const STATUS_WORD = { pass: uiLiteral('ok'), warn: uiLiteral('warning'), fail: uiLiteral('FAILED'), skip: uiLiteral('skipped') } as const;

async function diagnose(deps: Pick<DoctorDeps, 'extensionUri' | 'log'>, label: string, input: string | Endpoint, options: DoctorOptions, pinning?: PinRequest): Promise<void> {
  const report = await withProgress({ title: t('Testing {0}', uiPlain(label, 80)) }, (progress) =>
    runDoctor(input, { ...options, onStep: (step) => progress.report({ message: uiFormat('{0}: {1}', uiPlain(step.title), STATUS_WORD[step.status]) }) }),
  );
  deps.log.info(`Connection report for ${plainLabel(label)}: ${report.verdict.line}`);
  showReport(deps.extensionUri, report, pinning, deps.log);
}

export interface AccountSecrets {
  password?: string | undefined;
  smtpPassword?: string | undefined;
  /** An OAuth 2.0 access token for accounts that sign in with one (IMAP and SMTP). */
  accessToken?: string | undefined;
  tokenScopes?: string[];
}

/** The doctor on an account's settings (saved or still in the form), with the report able to pin its certificate. */
export async function diagnoseAccount(deps: Pick<DoctorDeps, 'extensionUri' | 'log'>, account: AccountConfig, secrets: AccountSecrets, pinning: PinRequest): Promise<void> {
  const endpoint: Endpoint = { host: account.imap.host, port: account.imap.port, security: account.imap.security, user: account.imap.user };
  const smtp: Endpoint | undefined = account.smtp ? { host: account.smtp.host, port: account.smtp.port, security: account.smtp.security, user: account.smtp.user ?? account.imap.user } : undefined;
  await diagnose(deps, account.email, endpoint, {
    ...(secrets.password ? { password: secrets.password } : {}),
    ...(smtp ? { smtp } : {}),
    ...(secrets.smtpPassword ? { smtpPassword: secrets.smtpPassword } : {}),
    ...(secrets.accessToken ? { accessToken: secrets.accessToken } : {}),
    ...(secrets.tokenScopes ? { tokenScopes: secrets.tokenScopes } : {}),
    ...(account.pinnedCertificate ? { pin: account.pinnedCertificate, ...(pinning.pinnedPem ? { pinPem: pinning.pinnedPem } : {}) } : {}),
  }, pinning);
}

/** The secrets of a saved account for the doctor: its password, or an access token (renewed if needed). */
async function accountSecrets(deps: DoctorDeps, account: AccountConfig): Promise<AccountSecrets> {
  if (usesToken(account) || account.auth?.method === 'command') {
    try {
      const credential = await deps.auth.credentials(account).get();
      const scopes = deps.auth.credentials(account).tokenInfo?.()?.scopes;
      return credential.kind === 'token' ? { accessToken: credential.accessToken, ...(scopes ? { tokenScopes: scopes } : {}) } : { password: credential.password, smtpPassword: credential.password };
    } catch (err) {
      deps.log.warn(`The doctor runs without a login for ${account.id}: ${toMailError(err).message}`);
      return {};
    }
  }
  const password = (await deps.keychain.lookup(account, 'password')).secret;
  const smtpPassword = account.smtp ? (await deps.keychain.smtpPassword(account)).secret : undefined;
  return { password, smtpPassword };
}

async function testAccount(deps: DoctorDeps, account: AccountConfig): Promise<void> {
  await diagnoseAccount(deps, account, await accountSecrets(deps, account), {
    pinned: account.pinnedCertificate,
    pinnedPem: account.pinnedCertificate ? deps.pins.get(account.pinnedCertificate) : undefined,
    pin: async (sha256, pem) => {
      await deps.pins.set(sha256, pem);
      const current = deps.accounts.get(account.id) ?? account;
      await deps.accounts.save({ ...current, pinnedCertificate: sha256 });
      deps.sessions.drop(account.id);
      deps.tree.refresh();
    },
  });
}

export function doctorCommands(deps: DoctorDeps): CommandTable {
  return {
    'imapExplorer.testConnection': async (arg?: unknown) => {
      let account = arg instanceof AccountNode ? arg.account : typeof arg === 'string' ? deps.accounts.get(arg) : undefined;
      if (!account) {
        const all = deps.accounts.all();
        const picked = all.length === 1 ? { account: all[0] } : await showQuickPick(all.map((a) => ({ label: uiPlain(a.email), account: a })), { placeHolder: t('Test which account?') });
        account = picked?.account;
      }
      if (account) {
        await testAccount(deps, account);
      }
    },
    'imapExplorer.testServer': async () => {
      deps.log.info('Test a Mail Server: asking for the server to test.');
      const target = await showInputBox({
        title: t('Test a Mail Server'),
        prompt: t('imaps://user@host:993, imap://host:143 (STARTTLS), an email address or a domain'),
        placeHolder: uiLiteral('imaps://you@imap.example.com:993'),
        ignoreFocusOut: true,
      });
      if (!target?.trim()) {
        return;
      }
      const smtp = await showInputBox({ title: t('Also test SMTP? (optional)'), prompt: t('smtp://host:587 (STARTTLS) or smtps://host:465; leave empty to skip or use what discovery finds'), ignoreFocusOut: true });
      const wantsLogin = /@/.test(target);
      const password = wantsLogin ? await showInputBox({ title: t('Password (optional)'), prompt: t('Leave empty to test without logging in. It is used for this test only and never stored or shown.'), password: true, ignoreFocusOut: true }) : undefined;
      await diagnose(deps, target.trim(), target.trim(), { ...(password ? { password } : {}), ...(smtp?.trim() ? { smtp: smtp.trim() } : {}) });
    },
  };
}
