// "Test Connection" on an account and "Test a Server..." for any host: the connection doctor with
// step-by-step progress, then the report.
import * as vscode from 'vscode';
import { type AccountStore } from '../accounts/accountStore';
import { type Keychain } from '../accounts/keychain';
import { type SessionPool } from '../accounts/sessions';
import { type AccountConfig } from '../core/account';
import { type DoctorOptions, runDoctor } from '../core/doctor';
import { type Endpoint } from '../core/doctor/types';
import { type PinStore } from '../core/tls';
import { plainLabel } from '../core/text';
import { AccountNode } from '../tree/nodes';
import { type MailTreeProvider } from '../tree/provider';
import { type CommandTable } from '../util/commands';
import { type PinRequest, showReport } from './reportPanel';

export interface DoctorDeps {
  accounts: AccountStore;
  keychain: Keychain;
  pins: PinStore;
  sessions: SessionPool;
  tree: MailTreeProvider;
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
}

const STATUS_WORD = { pass: 'ok', warn: 'warning', fail: 'FAILED', skip: 'skipped' } as const;

async function diagnose(deps: Pick<DoctorDeps, 'extensionUri' | 'log'>, label: string, input: string | Endpoint, options: DoctorOptions, pinning?: PinRequest): Promise<void> {
  const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Testing {0}', plainLabel(label, 80)), cancellable: false }, (progress) =>
    runDoctor(input, { ...options, onStep: (step) => progress.report({ message: `${step.title}: ${STATUS_WORD[step.status]}` }) }),
  );
  deps.log.info(`Connection report for ${plainLabel(label)}: ${report.verdict.line}`);
  showReport(deps.extensionUri, report, pinning, deps.log);
}

export interface AccountSecrets {
  password?: string | undefined;
  smtpPassword?: string | undefined;
}

/** The doctor on an account's settings (saved or still in the form), with the report able to pin its certificate. */
export async function diagnoseAccount(deps: Pick<DoctorDeps, 'extensionUri' | 'log'>, account: AccountConfig, secrets: AccountSecrets, pinning: PinRequest): Promise<void> {
  const endpoint: Endpoint = { host: account.imap.host, port: account.imap.port, security: account.imap.security, user: account.imap.user };
  const smtp: Endpoint | undefined = account.smtp ? { host: account.smtp.host, port: account.smtp.port, security: account.smtp.security, user: account.smtp.user ?? account.imap.user } : undefined;
  await diagnose(deps, account.email, endpoint, {
    ...(secrets.password ? { password: secrets.password } : {}),
    ...(smtp ? { smtp } : {}),
    ...(secrets.smtpPassword ? { smtpPassword: secrets.smtpPassword } : {}),
    ...(account.pinnedCertificate ? { pin: account.pinnedCertificate, ...(pinning.pinnedPem ? { pinPem: pinning.pinnedPem } : {}) } : {}),
  }, pinning);
}

async function testAccount(deps: DoctorDeps, account: AccountConfig): Promise<void> {
  const password = await deps.keychain.get(account.id);
  const smtpPassword = account.smtp?.separatePassword ? await deps.keychain.getSmtp(account.id) : password;
  await diagnoseAccount(deps, account, { password, smtpPassword }, {
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
        const picked = all.length === 1 ? { account: all[0] } : await vscode.window.showQuickPick(all.map((a) => ({ label: plainLabel(a.email), account: a })), { placeHolder: vscode.l10n.t('Test which account?') });
        account = picked?.account;
      }
      if (account) {
        await testAccount(deps, account);
      }
    },
    'imapExplorer.testServer': async () => {
      const target = await vscode.window.showInputBox({
        title: vscode.l10n.t('Test a Mail Server'),
        prompt: vscode.l10n.t('imaps://user@host:993, imap://host:143 (STARTTLS), an email address or a domain'),
        placeHolder: 'imaps://you@imap.example.com:993',
        ignoreFocusOut: true,
      });
      if (!target?.trim()) {
        return;
      }
      const smtp = await vscode.window.showInputBox({ title: vscode.l10n.t('Also test SMTP? (optional)'), prompt: vscode.l10n.t('smtp://host:587 (STARTTLS) or smtps://host:465; leave empty to skip or use what discovery finds'), ignoreFocusOut: true });
      const wantsLogin = /@/.test(target);
      const password = wantsLogin ? await vscode.window.showInputBox({ title: vscode.l10n.t('Password (optional)'), prompt: vscode.l10n.t('Leave empty to test without logging in. It is used for this test only and never stored or shown.'), password: true, ignoreFocusOut: true }) : undefined;
      await diagnose(deps, target.trim(), target.trim(), { ...(password ? { password } : {}), ...(smtp?.trim() ? { smtp: smtp.trim() } : {}) });
    },
  };
}
