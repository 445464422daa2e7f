// The add/edit account form: a webview built with @vscode-elements/elements. It tests the
// connection before saving and says what failed; an untrusted certificate can be pinned here
// after the user saw its fingerprint.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { type AccountConfig, isValidHost, newAccountId, serverSavesSentByDefault, validateAccount } from '../core/account';
import { verifySmtp } from '../core/compose/smtp';
import { type CertificateSummary, MailError, toMailError } from '../core/errors';
import { type Logger } from '../core/log';
import { testLogin } from '../core/mail/session';
import { type PinStore } from '../core/tls';
import { Disposable } from '../util/dispose';
import { type AccountStore } from './accountStore';
import { type FormHostToView, type FormValues, parseFormMessage } from './formProtocol';
import { type Keychain } from './keychain';
import { showInfo, t, uiPlain } from '../util/ui';
import { displayLocale } from '../core/dates';

export interface AccountFormDeps {
  accounts: AccountStore;
  keychain: Keychain;
  pins: PinStore;
  logger: Logger;
  extensionUri: vscode.Uri;
  /** Called after an account was saved. */
  saved(account: AccountConfig): void;
  /** Runs the connection doctor on the form's settings; `pin` stores a certificate the report's user trusted. */
  diagnose(account: AccountConfig, secrets: { password?: string | undefined; smtpPassword?: string | undefined }, pinning: { pinned: string | undefined; pin(sha256: string, pem: string): Promise<void> }): Promise<void>;
}

function toValues(account: AccountConfig | undefined): FormValues {
  const smtp = account?.smtp;
  return {
    smtpHost: smtp?.host ?? '',
    smtpPort: String(smtp?.port ?? 587),
    smtpSecurity: smtp?.security ?? 'starttls',
    smtpSameLogin: smtp?.separatePassword ? 'no' : 'yes',
    smtpUser: smtp?.user ?? '',
    smtpPassword: '',
    serverSavesSent: smtp ? ((smtp.serverSavesSent ?? serverSavesSentByDefault(smtp.host)) ? 'yes' : 'no') : 'no',
    email: account?.email ?? '',
    displayName: account?.displayName ?? '',
    host: account?.imap.host ?? '',
    port: String(account?.imap.port ?? 993),
    security: account?.imap.security ?? 'tls',
    user: account?.imap.user ?? '',
    password: '',
  };
}

export class AccountForm extends Disposable {
  private static open = new Map<string, AccountForm>();
  private readonly panel: vscode.WebviewPanel;
  /** The pin the user accepted in this form (saved with the account). */
  private pinned: string | undefined;
  /** The certificate the last failed test showed: the only one the user can pin. */
  private offered: CertificateSummary | undefined;

  static show(deps: AccountFormDeps, existing?: AccountConfig): AccountForm {
    const key = existing?.id ?? '(new)';
    const open = AccountForm.open.get(key);
    if (open) {
      open.panel.reveal();
      return open;
    }
    const form = new AccountForm(deps, existing);
    AccountForm.open.set(key, form);
    return form;
  }

  private constructor(
    private readonly deps: AccountFormDeps,
    private readonly existing: AccountConfig | undefined,
  ) {
    super();
    this.pinned = existing?.pinnedCertificate;
    const media = vscode.Uri.joinPath(deps.extensionUri, 'media');
    const dist = vscode.Uri.joinPath(deps.extensionUri, 'dist');
    const codicons = vscode.Uri.joinPath(deps.extensionUri, 'dist', 'codicons');
    this.panel = this._register(
      vscode.window.createWebviewPanel('imapExplorer.accountForm', existing ? vscode.l10n.t('Edit Account') : vscode.l10n.t('Add Mail Account'), vscode.ViewColumn.Active, {
        enableScripts: true,
        enableForms: false,
        enableCommandUris: false,
        retainContextWhenHidden: true,
        localResourceRoots: [media, dist],
      }),
    );
    this.panel.iconPath = vscode.Uri.joinPath(media, 'mail.svg');
    const webview = this.panel.webview;
    const nonce = randomBytes(18).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview', 'accountForm.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'accountForm.css'));
    const codiconCss = webview.asWebviewUri(vscode.Uri.joinPath(codicons, 'codicon.css'));
    webview.html = `<!DOCTYPE html><html lang="${displayLocale(vscode.env.language)}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${nonce}'; style-src ${webview.cspSource} 'unsafe-inline'; font-src ${webview.cspSource}; img-src ${webview.cspSource}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${codiconCss.toString()}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${style.toString()}">
<title>Account</title></head><body><main id="app"></main>
<script nonce="${nonce}" src="${script.toString()}"></script></body></html>`;
    this._register(webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)));
    this._register(this.panel.onDidDispose(() => this.dispose()));
  }

  override dispose(): void {
    AccountForm.open.delete(this.existing?.id ?? '(new)');
    super.dispose();
  }

  private post(message: FormHostToView): void {
    void this.panel.webview.postMessage(message);
  }

  private async receive(raw: unknown): Promise<void> {
    const message = parseFormMessage(raw);
    if (!message) {
      return;
    }
    switch (message.type) {
      case 'ready':
        this.post({ type: 'init', mode: this.existing ? 'edit' : 'add', values: toValues(this.existing), hasPassword: Boolean(this.existing && (await this.deps.keychain.get(this.existing.id))), pinned: this.pinned });
        return;
      case 'cancel':
        this.panel.dispose();
        return;
      case 'submit':
        await this.submit(message.values, message.action);
        return;
      case 'trust':
        if (!this.offered || this.offered.sha256 !== message.sha256) {
          this.post({ type: 'result', ok: false, message: vscode.l10n.t('That certificate is not the one the server showed; test again.') });
          return;
        }
        await this.deps.pins.set(this.offered.sha256, this.offered.pem);
        this.pinned = this.offered.sha256;
        this.offered = undefined;
        await this.submit(message.values, 'test');
        return;
      case 'forgetPin':
        this.pinned = undefined;
        await this.submit(message.values, 'test');
        return;
    }
  }

  private candidate(values: FormValues): AccountConfig {
    const email = values.email.trim();
    const account: AccountConfig = {
      id: this.existing?.id ?? newAccountId(email, this.deps.accounts.all().map((a) => a.id)),
      email,
      imap: { host: values.host.trim(), port: Number(values.port), security: values.security, user: values.user.trim() },
    };
    if (values.displayName.trim()) {
      account.displayName = values.displayName.trim();
    }
    if (this.existing?.label) {
      account.label = this.existing.label;
    }
    if (this.pinned) {
      account.pinnedCertificate = this.pinned;
    }
    for (const key of ['folders', 'addresses'] as const) {
      if (this.existing?.[key]) {
        (account as unknown as Record<string, unknown>)[key] = this.existing[key];
      }
    }
    if (values.smtpHost.trim()) {
      account.smtp = {
        host: values.smtpHost.trim(),
        port: Number(values.smtpPort),
        security: values.smtpSecurity,
        ...(values.smtpSameLogin === 'no' ? { separatePassword: true, ...(values.smtpUser.trim() ? { user: values.smtpUser.trim() } : {}) } : {}),
        serverSavesSent: values.serverSavesSent === 'yes',
      };
    }
    return account;
  }

  private async submit(values: FormValues, action: 'test' | 'save' | 'diagnose'): Promise<void> {
    const account = this.candidate(values);
    const problems = validateAccount(account);
    const password = values.password || (this.existing ? await this.deps.keychain.get(this.existing.id) : undefined);
    if (action === 'diagnose') {
      // the doctor runs without a password too (everything up to login), so only the server fields must be valid
      if (problems.length) {
        this.post({ type: 'result', ok: false, message: vscode.l10n.t('Please correct the highlighted fields.'), fieldErrors: problems });
        return;
      }
      const smtpPassword = values.smtpSameLogin === 'no' ? values.smtpPassword || (this.existing ? await this.deps.keychain.getSmtp(this.existing.id) : undefined) : password;
      this.post({ type: 'busy', text: vscode.l10n.t('Diagnosing {0}:{1}...', account.imap.host, account.imap.port) });
      try {
        await this.deps.diagnose(account, { password, smtpPassword }, {
          pinned: this.pinned,
          pin: async (sha256, pem) => {
            await this.deps.pins.set(sha256, pem);
            this.pinned = sha256;
            this.offered = undefined;
            this.post({ type: 'result', ok: true, message: vscode.l10n.t('Certificate pinned. Test again or save the account.'), pinned: this.pinned });
          },
        });
        this.post({ type: 'result', ok: true, message: vscode.l10n.t('The connection report opened in its own tab.'), pinned: this.pinned });
      } catch (err) {
        this.post({ type: 'result', ok: false, message: toMailError(err).message, pinned: this.pinned });
      }
      return;
    }
    if (!password) {
      problems.push({ field: 'password', message: vscode.l10n.t('Enter the password.') });
    }
    const smtpPassword = values.smtpSameLogin === 'no' ? values.smtpPassword || (this.existing ? await this.deps.keychain.getSmtp(this.existing.id) : undefined) : password;
    if (account.smtp) {
      if (!isValidHost(account.smtp.host)) {
        problems.push({ field: 'smtpHost', message: vscode.l10n.t('Enter the SMTP server host name, like smtp.example.com.') });
      }
      if (!Number.isInteger(account.smtp.port) || account.smtp.port < 1 || account.smtp.port > 65535) {
        problems.push({ field: 'smtpPort', message: vscode.l10n.t('The port is a number from 1 to 65535 (587 for STARTTLS, 465 for TLS).') });
      }
      if (values.smtpSameLogin === 'no' && !smtpPassword) {
        problems.push({ field: 'smtpPassword', message: vscode.l10n.t('Enter the SMTP password.') });
      }
    }
    if (problems.length) {
      this.post({ type: 'result', ok: false, message: vscode.l10n.t('Please correct the highlighted fields.'), fieldErrors: problems });
      return;
    }
    this.post({ type: 'busy', text: vscode.l10n.t('Connecting to {0}:{1}...', account.imap.host, account.imap.port) });
    try {
      const check = await testLogin({ account, password: async () => password, pins: this.deps.pins, logger: this.deps.logger });
      this.offered = undefined;
      if (account.smtp && smtpPassword) {
        this.post({ type: 'busy', text: vscode.l10n.t('Connecting to {0}:{1} (SMTP)...', account.smtp.host, account.smtp.port) });
        const pem = account.pinnedCertificate && account.smtp.host === account.imap.host ? this.deps.pins.get(account.pinnedCertificate) : undefined;
        try {
          await verifySmtp({ host: account.smtp.host, port: account.smtp.port, security: account.smtp.security, user: account.smtp.user ?? account.imap.user, pass: smtpPassword, timeoutMs: 15000, ...(pem ? { pin: { sha256: account.pinnedCertificate!, pem } } : {}) }, this.deps.logger);
        } catch (err) {
          const error = toMailError(err);
          this.post({ type: 'result', ok: false, message: vscode.l10n.t('IMAP works, but the outgoing server failed: {0}', error.message), pinned: this.pinned, fieldErrors: [{ field: error.code === 'AUTH_FAILED' ? (values.smtpSameLogin === 'no' ? 'smtpPassword' : 'smtpHost') : 'smtpHost', message: error.message }] });
          return;
        }
      }
      if (action === 'test') {
        this.post({ type: 'result', ok: true, message: account.smtp ? vscode.l10n.t('Connected and logged in{0}, and the outgoing server accepted the login. The account can be saved.', check.secure ? vscode.l10n.t(' over TLS') : '') : vscode.l10n.t('Connected and logged in{0}. The account can be saved.', check.secure ? vscode.l10n.t(' over TLS') : ''), pinned: this.pinned });
        return;
      }
      await this.deps.accounts.save(account);
      if (values.password) {
        await this.deps.keychain.set(account.id, values.password);
      }
      if (values.smtpSameLogin === 'no' && values.smtpPassword) {
        await this.deps.keychain.setSmtp(account.id, values.smtpPassword);
      }
      this.deps.saved(account);
      void showInfo(t('Account {0} saved.', uiPlain(account.email)));
      this.panel.dispose();
    } catch (err) {
      const error = err instanceof MailError ? err : toMailError(err);
      this.offered = error.details.certificate;
      const certificate = error.details.certificate;
      // an expired certificate stays refused even when pinned: Node checks validity dates regardless
      const canTrust = Boolean(certificate) && (error.code === 'TLS_UNTRUSTED' || error.code === 'TLS_HOSTNAME');
      this.post({
        type: 'result',
        ok: false,
        message: error.message,
        ...(certificate ? { certificate: { sha256: certificate.sha256, subject: certificate.subject, issuer: certificate.issuer, validTo: certificate.validTo, selfSigned: certificate.selfSigned } } : {}),
        canTrust,
        pinned: this.pinned,
        fieldErrors: error.code === 'AUTH_FAILED' ? [{ field: 'password', message: vscode.l10n.t('The server did not accept this user name and password.') }] : undefined,
      });
    }
  }
}
