// The add/edit account form: a webview built with @vscode-elements/elements. It tests the
// connection before saving and says what failed; an untrusted certificate can be pinned here
// after the user saw its fingerprint.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { type AccountConfig, type AuthSettings, isValidHost, newAccountId, parseAuth, serverSavesSentByDefault, validateAccount } from '../core/account';
import { formatCommandLine, parseCommandLine } from '../core/auth/commandLine';
import { commandSource } from '../core/auth/command';
import { type CredentialSource, passwordSource, tokenSource } from '../core/auth/credentials';
import { detectSignIn } from '../core/auth/detect';
import { type TokenResult } from '../core/auth/oauth';
import { verifySmtp } from '../core/compose/smtp';
import { type CertificateSummary, MailError, toMailError } from '../core/errors';
import { type Logger } from '../core/log';
import { testLogin } from '../core/mail/session';
import { type PinStore } from '../core/tls';
import { plainLabel } from '../core/text';
import { Disposable } from '../util/dispose';
import { type AccountStore } from './accountStore';
import { type FormHostToView, type FormValues, parseFormMessage } from './formProtocol';
import { type Keychain } from './keychain';
import { showInfo, t, uiPlain } from '../util/ui';
import { displayLocale } from '../core/dates';
import { type AccountAuth, type SmtpCredential } from './signIn';

export interface AccountFormDeps {
  accounts: AccountStore;
  keychain: Keychain;
  auth: AccountAuth;
  pins: PinStore;
  logger: Logger;
  extensionUri: vscode.Uri;
  /** Called after an account was saved. */
  saved(account: AccountConfig): void;
  /** Runs the connection doctor on the form's settings; `pin` stores a certificate the report's user trusted. */
  diagnose(account: AccountConfig, secrets: { password?: string | undefined; smtpPassword?: string | undefined; accessToken?: string | undefined }, pinning: { pinned: string | undefined; pin(sha256: string, pem: string): Promise<void> }): Promise<void>;
}

function toValues(account: AccountConfig | undefined): FormValues {
  const smtp = account?.smtp;
  const auth = account?.auth;
  const oauth = auth?.method === 'oauth2' ? auth : undefined;
  const command = auth?.method === 'command' ? auth : undefined;
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
    signIn: auth?.method ?? 'password',
    oauthProvider: oauth?.provider ?? 'generic',
    oauthIssuer: oauth?.issuer ?? '',
    oauthClientId: oauth?.clientId ?? '',
    oauthTenant: oauth?.tenant ?? (oauth?.provider === 'microsoft' ? 'organizations' : ''),
    oauthScopes: oauth?.scopes?.join(' ') ?? '',
    oauthFlow: oauth?.flow ?? 'browser',
    oauthClientSecret: '',
    command: command ? formatCommandLine(command.command) : '',
    commandOutput: command?.output ?? 'password',
  };
}

export class AccountForm extends Disposable {
  /**
   * After a save: the secrets typed or obtained in the form, bound to the account as saved, and
   * none of another sign-in method left behind.
   */
  private async storeSecrets(account: AccountConfig, values: FormValues): Promise<void> {
    const { keychain, auth } = this.deps;
    const method = account.auth?.method ?? 'password';
    if (method === 'password' && values.password) {
      await keychain.store(account, 'password', values.password);
    }
    if (method !== 'password' && values.password === '') {
      await keychain.delete(account.id, 'password');
    }
    if (account.smtp?.separatePassword && values.smtpPassword) {
      await keychain.store(account, 'smtpPassword', values.smtpPassword);
    }
    if (method === 'oauth2') {
      if (values.oauthClientSecret) {
        await keychain.store(account, 'clientSecret', values.oauthClientSecret);
      }
      if (this.pending?.for === this.oauthKey(account)) {
        await auth.adopt(account, this.pending.tokens);
      } else if (this.existing) {
        // same settings as before: the stored grant stays (rebound only if nothing changed)
        auth.forget(account.id);
      }
    } else {
      await keychain.delete(account.id, 'refreshToken');
      await keychain.delete(account.id, 'clientSecret');
      auth.forget(account.id);
    }
  }

  private static open = new Map<string, AccountForm>();
  private readonly panel: vscode.WebviewPanel;
  /** The pin the user accepted in this form (saved with the account). */
  private pinned: string | undefined;
  /** The certificate the last failed test showed: the only one the user can pin. */
  private offered: CertificateSummary | undefined;
  /** Tokens of a sign-in done in this form, for the OAuth settings they were obtained with (adopted on save). */
  private pending: { tokens: TokenResult; for: string } | undefined;
  private signingIn: AbortController | undefined;
  private deviceCode: string | undefined;
  private lookupSeq = 0;

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
    this.signingIn?.abort();
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
        this.post({
          type: 'init',
          mode: this.existing ? 'edit' : 'add',
          values: toValues(this.existing),
          hasPassword: Boolean(this.existing && (await this.deps.keychain.has(this.existing.id, 'password'))),
          pinned: this.pinned,
          signedIn: Boolean(this.existing?.auth?.method === 'oauth2' && (this.existing.auth.flow === 'vscode' || (await this.deps.keychain.has(this.existing.id, 'refreshToken')))),
        });
        return;
      case 'lookup':
        await this.lookup(message.email);
        return;
      case 'signIn':
        await this.signIn(message.values).catch((err: unknown) => this.post({ type: 'signInState', signedIn: false, failed: true, text: toMailError(err).message }));
        return;
      case 'cancelSignIn':
        this.signingIn?.abort();
        return;
      case 'copyDeviceCode':
        if (this.deviceCode) {
          await vscode.env.clipboard.writeText(this.deviceCode);
        }
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
    const auth = this.authSettings(values);
    if (typeof auth !== 'string' && auth.method !== 'password') {
      account.auth = auth;
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

  /** The sign-in settings of the form, or a sentence saying what is wrong with them. */
  private authSettings(values: FormValues): AuthSettings | string {
    if (values.signIn === 'oauth2') {
      const scopes = values.oauthScopes.split(/\s+/).filter(Boolean);
      return parseAuth({
        method: 'oauth2',
        provider: values.oauthProvider,
        clientId: values.oauthClientId,
        ...(values.oauthProvider === 'generic' ? { issuer: values.oauthIssuer } : {}),
        ...(values.oauthProvider === 'microsoft' ? { tenant: values.oauthTenant || 'organizations' } : {}),
        ...(scopes.length ? { scopes } : {}),
        flow: values.oauthFlow,
        ...(values.oauthClientSecret || (this.existing?.auth?.method === 'oauth2' && this.existing.auth.clientSecret) ? { clientSecret: true } : {}),
      });
    }
    if (values.signIn === 'command') {
      const argv = parseCommandLine(values.command);
      return typeof argv === 'string' ? argv : parseAuth({ method: 'command', command: argv, output: values.commandOutput });
    }
    return { method: 'password' };
  }

  /** The field a sign-in settings problem belongs to. */
  private authField(values: FormValues, problem: string): string {
    if (values.signIn === 'command') {
      return 'command';
    }
    return /issuer/.test(problem) ? 'oauthIssuer' : /tenant/.test(problem) ? 'oauthTenant' : /flow/.test(problem) ? 'oauthFlow' : 'oauthClientId';
  }

  /** What the address suggests; answers only for the address still in the form. */
  private async lookup(email: string): Promise<void> {
    const seq = ++this.lookupSeq;
    if (!/^[^\s@]+@[^\s@][^\s.@]*\.[^\s@]+$/.test(email.trim())) {
      return;
    }
    const found = await detectSignIn(email.trim());
    if (seq !== this.lookupSeq) {
      return;
    }
    this.post({ type: 'suggest', email, signIn: found.method, ...(found.provider ? { provider: found.provider } : {}), because: found.because, ...(found.imap ? { imap: found.imap } : {}), ...(found.smtp ? { smtp: found.smtp } : {}) });
  }

  /** The identity of the OAuth settings a sign-in was done for (tokens of other settings are not used). */
  private oauthKey(account: AccountConfig): string {
    return JSON.stringify({ auth: account.auth, imap: account.imap, smtp: account.smtp?.host });
  }

  /** Runs the interactive sign-in for the form's settings and keeps the tokens until the account is saved. */
  private async signIn(values: FormValues): Promise<TokenResult> {
    const account = this.candidate(values);
    const auth = this.authSettings(values);
    if (typeof auth === 'string') {
      this.post({ type: 'result', ok: false, message: auth, fieldErrors: [{ field: this.authField(values, auth), message: auth }] });
      throw new MailError('INVALID_INPUT', auth);
    }
    this.signingIn?.abort();
    const abort = new AbortController();
    this.signingIn = abort;
    this.post({ type: 'signInState', signedIn: false, text: values.oauthFlow === 'device' ? vscode.l10n.t('Waiting for the code to be entered...') : values.oauthFlow === 'vscode' ? vscode.l10n.t('Signing in with your Microsoft account in VS Code...') : vscode.l10n.t('Sign in in the browser tab that opened...') });
    try {
      const secret = values.oauthClientSecret || undefined;
      const tokens = await this.deps.auth.signIn(account, {
        signal: abort.signal,
        showDeviceCode: (code) => {
          this.deviceCode = code.userCode;
          this.post({ type: 'deviceCode', userCode: plainLabel(code.userCode, 40), verificationUri: plainLabel(code.verificationUri, 300) });
        },
      }, secret);
      this.pending = { tokens, for: this.oauthKey(account) };
      this.post({ type: 'signInState', signedIn: true, text: vscode.l10n.t('Signed in. Test and save the account.') });
      return tokens;
    } finally {
      this.deviceCode = undefined;
      if (this.signingIn === abort) {
        this.signingIn = undefined;
      }
    }
  }

  /**
   * The login credentials the form's settings give: the typed or stored password (only when it
   * was given for these servers), the form's sign-in (started here when there is none yet), or the
   * command's output. A string says what is missing, for `field`.
   */
  private async credentials(account: AccountConfig, values: FormValues, signInIfNeeded: boolean): Promise<{ imap: CredentialSource; smtp: SmtpCredential | undefined } | { field: string; message: string }> {
    const auth = account.auth;
    if (auth?.method === 'oauth2') {
      let tokens = this.pending?.for === this.oauthKey(account) ? this.pending.tokens : undefined;
      if (!tokens && this.existing && this.oauthKey(this.existing) === this.oauthKey(account)) {
        try {
          const credential = await this.deps.auth.credentials(this.existing).get();
          tokens = credential.kind === 'token' ? { accessToken: credential.accessToken } : undefined;
        } catch {
          tokens = undefined;
        }
      }
      if (!tokens && signInIfNeeded) {
        tokens = await this.signIn(values);
      }
      if (!tokens) {
        return { field: 'oauthClientId', message: vscode.l10n.t('Sign in first.') };
      }
      const accessToken = tokens.accessToken;
      return { imap: tokenSource(async () => accessToken), smtp: account.smtp ? { accessToken } : undefined };
    }
    if (auth?.method === 'command') {
      const source = commandSource(auth);
      const credential = await source.get();
      const smtp: SmtpCredential | undefined = !account.smtp ? undefined : credential.kind === 'token' ? { accessToken: credential.accessToken } : account.smtp.separatePassword ? await this.smtpPassword(account, values) : { pass: credential.password };
      return { imap: { get: async () => credential }, smtp };
    }
    let password = values.password;
    if (!password && this.existing) {
      const stored = await this.deps.keychain.lookup(account, 'password');
      if (!stored.secret) {
        return { field: 'password', message: stored.problem ?? vscode.l10n.t('Enter the password.') };
      }
      password = stored.secret;
      if (account.smtp && !account.smtp.separatePassword && !(await this.deps.keychain.lookup(account, 'password', 'smtp')).secret) {
        return { field: 'password', message: vscode.l10n.t('Enter the password again: it was not given for the outgoing server {0}.', account.smtp.host) };
      }
    }
    if (!password) {
      return { field: 'password', message: vscode.l10n.t('Enter the password.') };
    }
    const pass = password;
    return { imap: passwordSource(async () => pass), smtp: !account.smtp ? undefined : account.smtp.separatePassword ? await this.smtpPassword(account, values) : { pass } };
  }

  private async smtpPassword(account: AccountConfig, values: FormValues): Promise<SmtpCredential | undefined> {
    if (values.smtpPassword) {
      return { pass: values.smtpPassword };
    }
    const stored = this.existing ? await this.deps.keychain.lookup(account, 'smtpPassword') : {};
    return stored.secret ? { pass: stored.secret } : undefined;
  }

  private async submit(values: FormValues, action: 'test' | 'save' | 'diagnose'): Promise<void> {
    const account = this.candidate(values);
    const problems = validateAccount(account);
    const auth = this.authSettings(values);
    if (typeof auth === 'string') {
      problems.push({ field: this.authField(values, auth), message: auth });
    }
    if (action === 'diagnose') {
      const password = values.signIn === 'password' ? values.password || (this.existing ? (await this.deps.keychain.lookup(account, 'password')).secret : undefined) : undefined;
      // the doctor runs without a password too (everything up to login), so only the server fields must be valid
      if (problems.length) {
        this.post({ type: 'result', ok: false, message: vscode.l10n.t('Please correct the highlighted fields.'), fieldErrors: problems });
        return;
      }
      const smtpPassword = values.smtpSameLogin === 'no' ? values.smtpPassword || (this.existing ? (await this.deps.keychain.lookup(account, 'smtpPassword')).secret : undefined) : password;
      this.post({ type: 'busy', text: vscode.l10n.t('Diagnosing {0}:{1}...', account.imap.host, account.imap.port) });
      try {
        let accessToken: string | undefined;
        if (values.signIn !== 'password' && !problems.length) {
          const found = await this.credentials(account, values, false).catch(() => undefined);
          const credential = found && 'imap' in found ? await found.imap.get().catch(() => undefined) : undefined;
          accessToken = credential?.kind === 'token' ? credential.accessToken : undefined;
        }
        await this.deps.diagnose(account, { password, smtpPassword, accessToken }, {
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
    if (account.smtp) {
      if (!isValidHost(account.smtp.host)) {
        problems.push({ field: 'smtpHost', message: vscode.l10n.t('Enter the SMTP server host name, like smtp.example.com.') });
      }
      if (!Number.isInteger(account.smtp.port) || account.smtp.port < 1 || account.smtp.port > 65535) {
        problems.push({ field: 'smtpPort', message: vscode.l10n.t('The port is a number from 1 to 65535 (587 for STARTTLS, 465 for TLS).') });
      }
    }
    if (problems.length) {
      this.post({ type: 'result', ok: false, message: vscode.l10n.t('Please correct the highlighted fields.'), fieldErrors: problems });
      return;
    }
    try {
      const found = await this.credentials(account, values, true);
      if (!('imap' in found)) {
        this.post({ type: 'result', ok: false, message: vscode.l10n.t('Please correct the highlighted fields.'), fieldErrors: [found] });
        return;
      }
      if (account.smtp && !found.smtp) {
        this.post({ type: 'result', ok: false, message: vscode.l10n.t('Please correct the highlighted fields.'), fieldErrors: [{ field: 'smtpPassword', message: vscode.l10n.t('Enter the SMTP password.') }] });
        return;
      }
      this.post({ type: 'busy', text: vscode.l10n.t('Connecting to {0}:{1}...', account.imap.host, account.imap.port) });
      const check = await testLogin({ account, credentials: found.imap, pins: this.deps.pins, logger: this.deps.logger });
      this.offered = undefined;
      if (account.smtp && found.smtp) {
        this.post({ type: 'busy', text: vscode.l10n.t('Connecting to {0}:{1} (SMTP)...', account.smtp.host, account.smtp.port) });
        const pem = account.pinnedCertificate && account.smtp.host === account.imap.host ? this.deps.pins.get(account.pinnedCertificate) : undefined;
        try {
          await verifySmtp({ host: account.smtp.host, port: account.smtp.port, security: account.smtp.security, user: account.smtp.user ?? account.imap.user, ...found.smtp, timeoutMs: 15000, ...(pem ? { pin: { sha256: account.pinnedCertificate!, pem } } : {}) }, this.deps.logger);
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
      await this.storeSecrets(account, values);
      this.deps.saved(account);
      void showInfo(t('Account {0} saved.', uiPlain(account.email)));
      this.panel.dispose();
    } catch (err) {
      const error = err instanceof MailError ? err : toMailError(err);
      if (error.code === 'SIGN_IN_REQUIRED') {
        this.post({ type: 'signInState', signedIn: false, failed: true, text: error.message });
      }
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
        fieldErrors: error.code === 'AUTH_FAILED' && values.signIn === 'password' ? [{ field: 'password', message: vscode.l10n.t('The server did not accept this user name and password.') }] : error.code === 'COMMAND_FAILED' ? [{ field: 'command', message: error.message }] : undefined,
      });
    }
  }
}
