// One IMAP connection per account, reused by every action: connects on demand, serialises work
// through imapflow's mailbox locks, rebuilds a dropped connection on the next action (with a
// backoff after repeated failures), and stops for good on failures only the user can fix (a
// wrong password, an untrusted or changed certificate) until retry() is called.
import { ImapFlow, type ImapFlowOptions, type MailboxObject } from 'imapflow';
import { type AccountConfig } from '../account';
import { decodeTokenClaims } from '../auth/claims';
import { type Credential, type CredentialSource } from '../auth/credentials';
import { decodeSaslFailure } from '../auth/saslError';
import { messageFlags } from './headers';
import { MailError, toMailError } from '../errors';
import { imapflowLogger, type Logger, registerSecret } from '../log';
import { type PinStore, probeCertificate, tlsOptionsFor } from '../tls';

export type SessionState = 'idle' | 'connecting' | 'connected' | 'failed';

/** What the server reported about the selected mailbox, unasked (during IDLE or with a response). */
export type MailboxEvent =
  | { type: 'exists'; path: string; count: number; prevCount: number }
  | { type: 'expunge'; path: string; uid?: number; seq?: number }
  | { type: 'flags'; path: string; uid?: number; seq: number; flags: string[]; modseq?: bigint }
  | { type: 'opened'; path: string; uidValidity: string; highestModseq?: bigint }
  | { type: 'closed'; path: string }
  | { type: 'alert'; text: string };

export interface SessionDeps {
  account: AccountConfig;
  /** Reads the password from SecretStorage (or a test); undefined when none is stored. Unused when `credentials` is given. */
  password?(): Promise<string | undefined>;
  /** Where the login's password or OAuth 2.0 access token comes from (sign-in method of the account). */
  credentials?: CredentialSource;
  pins: PinStore;
  logger: Logger;
  /** Additional trusted CAs (tests trust their private CA this way). */
  extraCa?: string[];
  /** Overrides of imapflow options, e.g. shorter timeouts in tests. */
  clientOptions?: Partial<ImapFlowOptions>;
  now?: () => number;
  /**
   * For an account's extra connections (watchers, the bulk one): resolves once its main connection
   * is logged in, and fails with its error. A wrong password then costs one failed login, not one
   * per connection (servers count them, and some lock the account).
   */
  after?: () => Promise<unknown>;
}

const BACKOFF_MS = [0, 1000, 2000, 5000, 10000, 30000, 60000];

export interface RunOptions {
  /** Safe to repeat on a fresh connection when the first one dropped mid-way (reads, idempotent stores). */
  idempotent?: boolean;
}

export class MailSession {
  private client: ImapFlow | undefined;
  private connecting: Promise<ImapFlow> | undefined;
  private failure: { error: MailError; at: number; attempts: number } | undefined;
  private stateValue: SessionState = 'idle';
  private readonly listeners = new Set<(state: SessionState, error?: MailError) => void>();
  private closed = false;
  private readonly now: () => number;
  private readonly eventListeners = new Set<(event: MailboxEvent) => void>();
  private refusal: string | undefined;
  private watching: { path: string; timer?: ReturnType<typeof setTimeout> } | undefined;
  private loginDisabled = false;

  constructor(private readonly deps: SessionDeps) {
    this.now = deps.now ?? Date.now;
  }

  get account(): AccountConfig {
    return this.deps.account;
  }

  get state(): SessionState {
    return this.stateValue;
  }

  get lastError(): MailError | undefined {
    return this.failure?.error;
  }

  /** The live client, if connected (for capability checks and byte counters). */
  get current(): ImapFlow | undefined {
    return this.client?.usable ? this.client : undefined;
  }

  /** Unsolicited mailbox changes (new mail, expunges, flag changes) on this session's connection. */
  onMailboxEvent(listener: (event: MailboxEvent) => void): { dispose(): void } {
    this.eventListeners.add(listener);
    return { dispose: () => this.eventListeners.delete(listener) };
  }

  private emit(event: MailboxEvent): void {
    for (const listener of [...this.eventListeners]) {
      try {
        listener(event);
      } catch (err) {
        this.deps.logger.error(`[${this.deps.account.id}] mailbox event handler failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** Whether the connected server announced a capability (false while disconnected). */
  has(capability: string): boolean {
    return Boolean(this.client?.capabilities.has(capability.toUpperCase()));
  }

  /**
   * The text of the last NO/BAD the server answered. imapflow reports a refused command as
   * `false` and only logs the server's words; they are kept here so the user can read them.
   */
  takeRefusal(): string | undefined {
    const text = this.refusal;
    this.refusal = undefined;
    return text;
  }

  onStateChange(listener: (state: SessionState, error?: MailError) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private setState(state: SessionState, error?: MailError): void {
    if (state === this.stateValue && !error) {
      return;
    }
    this.stateValue = state;
    for (const listener of [...this.listeners]) {
      listener(state, error);
    }
  }

  /** Clears a stop (wrong password, certificate) or a backoff, so the next action connects again. */
  retry(): void {
    this.failure = undefined;
    if (this.stateValue === 'failed') {
      this.setState('idle');
    }
  }

  async connection(): Promise<ImapFlow> {
    if (this.closed) {
      throw new MailError('DISCONNECTED', 'The account was closed.');
    }
    if (this.client?.usable) {
      return this.client;
    }
    if (this.connecting) {
      return this.connecting;
    }
    if (this.failure) {
      const { error, at, attempts } = this.failure;
      const wait = BACKOFF_MS[Math.min(attempts, BACKOFF_MS.length - 1)];
      if (error.needsUser || this.now() - at < wait) {
        throw error;
      }
    }
    this.connecting = this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async trust(): Promise<{ sha256: string; pem: string } | undefined> {
    const { account, pins } = this.deps;
    const sha256 = account.pinnedCertificate;
    if (!sha256 || account.imap.security === 'none') {
      return undefined;
    }
    const known = pins.get(sha256);
    if (known) {
      return { sha256, pem: known };
    }
    // The pin came from settings (edited by hand, or synced from another machine) without the
    // certificate itself: fetch it, and accept it only if it is exactly the pinned one.
    const seen = await probeCertificate(account.imap.host, account.imap.port, account.imap.security);
    if (seen.sha256 !== sha256) {
      throw new MailError('TLS_PIN_MISMATCH', `The certificate of ${account.imap.host} changed: it is not the one you trusted.`, { certificate: seen, host: account.imap.host, port: account.imap.port });
    }
    await pins.set(sha256, seen.pem);
    return { sha256, pem: seen.pem };
  }

  private async credential(): Promise<Credential> {
    if (this.deps.credentials) {
      return this.deps.credentials.get();
    }
    const pass = await this.deps.password?.();
    if (!pass) {
      throw new MailError('NO_PASSWORD', `No password is stored for ${this.deps.account.email}.`);
    }
    return { kind: 'password', password: pass };
  }

  /**
   * Connects and logs in. `renewed` is the credential of the one retry after the server refused
   * the first (an access token that expired meanwhile): there is never a second retry.
   */
  private async open(renewed?: Credential): Promise<ImapFlow> {
    const { account, logger } = this.deps;
    const { host, port, security, user } = account.imap;
    this.setState('connecting');
    let client: ImapFlow | undefined;
    let credential: Credential | undefined;
    try {
      credential = renewed ?? (await this.credential());
      registerSecret(credential.kind === 'password' ? credential.password : credential.accessToken);
      await this.deps.after?.();
      const pin = await this.trust();
      client = new ImapFlow({
        host,
        port,
        secure: security === 'tls',
        // STARTTLS when chosen is mandatory: imapflow fails instead of continuing in cleartext.
        doSTARTTLS: security === 'starttls' ? true : security === 'none' ? false : undefined,
        // LOGIN is one round trip; imapflow's AUTHENTICATE PLAIN waits for a "+" before sending the
        // credentials even when the server has SASL-IR (two). A server that turns LOGIN off gets
        // AUTHENTICATE on the next attempt (see loginDisabled below).
        // An access token goes through AUTHENTICATE OAUTHBEARER (RFC 7628), else XOAUTH2.
        auth: credential.kind === 'token' ? { user, accessToken: credential.accessToken } : { user, pass: credential.password, ...(this.loginDisabled ? {} : { loginMethod: 'LOGIN' }) },
        tls: tlsOptionsFor(host, pin, this.deps.extraCa),
        logger: this.captureRefusals(imapflowLogger(logger, account.id)),
        disableAutoIdle: true,
        // COMPRESS costs a round trip on every connection and pays only below about 4 Mbit/s
        // (measured by npm run bench: header pages are 9 KB compressed, 34 KB plain)
        disableCompression: true,
        // QRESYNC: expunges arrive as UIDs (VANISHED) and a reconnect asks only for changes
        qresync: true,
        connectionTimeout: 20000,
        greetingTimeout: 15000,
        socketTimeout: 5 * 60 * 1000,
        clientInfo: { name: 'IMAP Mailbox Explorer' },
        ...this.deps.clientOptions,
      });
      // Without an 'error' listener, an error emitted by the client would crash the extension host.
      client.on('error', (err: unknown) => logger.warn(`[${account.id}] connection error: ${toMailError(err, { host, port }).message}`));
      this.forwardEvents(client);
      const opened = client;
      client.on('close', () => {
        if (this.client === opened) {
          this.client = undefined;
          logger.info(`[${account.id}] connection closed`);
          if (this.stateValue === 'connected') {
            this.setState('idle');
          }
          this.scheduleWatch();
        }
      });
      await client.connect();
      this.client = client;
      this.failure = undefined;
      logger.info(`[${account.id}] connected to ${host}:${port} (${security})`);
      this.setState('connected');
      return client;
    } catch (err) {
      client?.close();
      const sasl = client ? client.capabilities.has('AUTH=PLAIN') || client.capabilities.has('AUTH=LOGIN') : false;
      if (!this.loginDisabled && sasl && err instanceof Error && err.message === 'Login is disabled') {
        // LOGINDISABLED with a password mechanism offered: the server takes credentials through
        // AUTHENTICATE only. Without one (Cyrus before STARTTLS) no login can work: the error
        // says LOGINDISABLED instead of a wrong password, and no second connection is tried.
        this.loginDisabled = true;
        logger.info(`[${account.id}] the server disables LOGIN; using AUTHENTICATE`);
        return this.open(renewed);
      }
      let failed: unknown = err;
      const refused = toMailError(err).code === 'AUTH_FAILED';
      if (refused && credential && !renewed && this.deps.credentials?.renew) {
        // e.g. the access token expired between its check and the login: renew once, retry once
        let next: Credential | undefined;
        try {
          next = await this.deps.credentials.renew(credential);
        } catch (renewError) {
          failed = renewError;
        }
        if (next) {
          logger.info(`[${account.id}] the server refused the ${credential.kind === 'token' ? 'access token' : 'password'}; retrying once with a renewed one`);
          return this.open(next);
        }
      }
      const error = await this.explain(failed, credential);
      this.failure = { error, at: this.now(), attempts: (this.failure?.attempts ?? 0) + 1 };
      logger.error(`[${account.id}] cannot connect: ${error.message}`);
      this.setState('failed', error);
      throw error;
    }
  }

  private captureRefusals(inner: ReturnType<typeof imapflowLogger>): ReturnType<typeof imapflowLogger> {
    return {
      ...inner,
      warn: (entry) => {
        const err = entry.err as { responseText?: string; responseStatus?: string } | undefined;
        if (err && (err.responseStatus === 'NO' || err.responseStatus === 'BAD') && err.responseText) {
          this.refusal = err.responseText;
        }
        inner.warn(entry);
      },
    };
  }

  private forwardEvents(client: ImapFlow): void {
    client.on('exists', (e) => this.emit({ type: 'exists', path: e.path, count: e.count, prevCount: e.prevCount }));
    client.on('expunge', (e) => this.emit({ type: 'expunge', path: e.path, ...(e.uid !== undefined ? { uid: e.uid } : {}), ...(e.seq !== undefined ? { seq: e.seq } : {}) }));
    client.on('flags', (e) => this.emit({ type: 'flags', path: e.path, seq: e.seq, flags: messageFlags(e.flags), ...(e.uid !== undefined ? { uid: e.uid } : {}), ...(e.modseq !== undefined ? { modseq: e.modseq } : {}) }));
    client.on('mailboxOpen', (m) => this.emit({ type: 'opened', path: m.path, uidValidity: String(m.uidValidity), ...(m.highestModseq !== undefined ? { highestModseq: m.highestModseq } : {}) }));
    client.on('mailboxClose', (m) => this.emit({ type: 'closed', path: m.path }));
    client.on('alert', (a) => this.emit({ type: 'alert', text: String((a as { message?: string }).message ?? a) }));
  }

  /**
   * Keeps `path` selected on this connection and lets imapflow IDLE on it (a watcher session is
   * created with auto-IDLE on). A dropped connection is rebuilt with the session's backoff, and
   * `onReconnect` runs on the new one (to resync what happened meanwhile).
   */
  watch(path: string, onReconnect?: () => Promise<void>): void {
    this.watching = { path };
    this.reconnectHook = onReconnect;
    void this.selectWatched(false);
  }

  private reconnectHook: (() => Promise<void>) | undefined;

  private async selectWatched(reconnect: boolean): Promise<void> {
    const watching = this.watching;
    if (!watching || this.closed) {
      return;
    }
    try {
      const client = await this.connection();
      const lock = await client.getMailboxLock(watching.path);
      lock.release();
      if (reconnect) {
        await this.reconnectHook?.();
      }
    } catch (err) {
      const error = toMailError(err);
      this.deps.logger.warn(`[${this.deps.account.id}] watching ${watching.path} failed: ${error.message}`);
      if (!error.needsUser) {
        this.scheduleWatch();
      }
    }
  }

  private scheduleWatch(): void {
    const watching = this.watching;
    if (!watching || this.closed || watching.timer) {
      return;
    }
    const attempts = this.failure?.attempts ?? 0;
    const wait = Math.max(500, BACKOFF_MS[Math.min(attempts + 1, BACKOFF_MS.length - 1)]);
    watching.timer = setTimeout(() => {
      watching.timer = undefined;
      void this.selectWatched(true);
    }, wait);
  }

  /** Maps a connect failure, and for certificate problems attaches the certificate the server showed. */
  private async explain(err: unknown, credential?: Credential): Promise<MailError> {
    const { host, port, security, user } = this.deps.account.imap;
    const error = toMailError(err, { host, port });
    if (error.code === 'AUTH_FAILED' && credential?.kind === 'token') {
      const said = error.details.serverText ?? (typeof (err as { response?: unknown }).response === 'string' ? ((err as { response: string }).response) : undefined);
      const sasl = decodeSaslFailure({
        json: (err as { oauthError?: unknown }).oauthError,
        ...(said ? { serverText: said } : {}),
        ...(this.deps.credentials?.tokenInfo?.() ? { token: this.deps.credentials.tokenInfo() } : {}),
        ...(decodeTokenClaims(credential.accessToken) ? { claims: decodeTokenClaims(credential.accessToken) } : {}),
        user,
        now: this.now(),
      });
      return new MailError('TOKEN_REJECTED', `${host} did not accept the OAuth 2.0 token: ${sasl.advice}`, { ...error.details, ...(said ? { serverText: said } : {}), sasl }, { cause: err });
    }
    if (!error.code.startsWith('TLS_') || error.details.certificate || security === 'none') {
      return error;
    }
    let certificate;
    try {
      certificate = await probeCertificate(host, port, security, 5000);
    } catch {
      return error;
    }
    if (this.deps.account.pinnedCertificate && certificate.sha256 !== this.deps.account.pinnedCertificate) {
      return new MailError('TLS_PIN_MISMATCH', `The certificate of ${host} changed: it is not the one you trusted.`, { ...error.details, certificate }, { cause: err });
    }
    return new MailError(error.code, error.message, { ...error.details, certificate }, { cause: err });
  }

  /** Runs fn on the connection; a connection lost mid-way is rebuilt once for idempotent work. */
  async run<T>(fn: (client: ImapFlow) => Promise<T>, options: RunOptions = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.connection();
      try {
        return await fn(client);
      } catch (err) {
        const error = toMailError(err, { host: this.deps.account.imap.host, port: this.deps.account.imap.port });
        if (error.code === 'DISCONNECTED' || !client.usable) {
          if (this.client === client) {
            this.client = undefined;
          }
          client.close();
          if (options.idempotent && attempt === 0) {
            this.deps.logger.info(`[${this.deps.account.id}] connection lost, reconnecting once`);
            continue;
          }
        }
        throw error;
      }
    }
  }

  /** Selects the folder under imapflow's mailbox lock and runs fn while holding it. */
  async withMailbox<T>(path: string, fn: (client: ImapFlow, mailbox: MailboxObject) => Promise<T>, options: RunOptions & { readOnly?: boolean } = {}): Promise<T> {
    return this.run(async (client) => {
      const lock = await client.getMailboxLock(path, options.readOnly ? { readOnly: true } : {});
      try {
        const mailbox = client.mailbox;
        if (!mailbox) {
          throw new MailError('NOT_FOUND', `The folder "${path}" could not be opened.`);
        }
        return await fn(client, mailbox);
      } finally {
        lock.release();
      }
    }, options);
  }

  /**
   * Takes the mailbox lock and keeps it until release() is called: for streams that are read
   * after this call returns (saving an attachment).
   */
  async lockMailbox(path: string): Promise<{ client: ImapFlow; release(): void }> {
    const client = await this.connection();
    try {
      const lock = await client.getMailboxLock(path);
      return { client, release: () => lock.release() };
    } catch (err) {
      throw toMailError(err, { host: this.deps.account.imap.host, port: this.deps.account.imap.port });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.watching?.timer) {
      clearTimeout(this.watching.timer);
    }
    this.watching = undefined;
    this.eventListeners.clear();
    const client = this.client;
    this.client = undefined;
    this.listeners.clear();
    if (client?.usable) {
      try {
        await Promise.race([client.logout(), new Promise((r) => setTimeout(r, 2000))]);
      } catch {
        // closing anyway
      }
    }
    client?.close();
  }
}

export interface LoginCheck {
  capabilities: string[];
  secure: boolean;
}

/**
 * Connects, logs in and logs out: what the account form runs before saving. Throws a MailError
 * that says what failed (password, certificate with its fingerprint, port, timeout).
 */
export async function testLogin(deps: Omit<SessionDeps, 'now'>): Promise<LoginCheck> {
  const session = new MailSession({ ...deps, clientOptions: { connectionTimeout: 15000, greetingTimeout: 10000, ...deps.clientOptions } });
  try {
    const client = await session.connection();
    return { capabilities: [...client.capabilities.keys()], secure: client.secureConnection };
  } finally {
    await session.close();
  }
}
