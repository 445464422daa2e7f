// Account settings as stored in `imapExplorer.accounts` (never a password: that lives in
// SecretStorage), with validation and the defaults a new account form starts from.

export type Security = 'tls' | 'starttls' | 'none';

export interface ImapSettings {
  host: string;
  port: number;
  security: Security;
  user: string;
}

export interface AccountConfig {
  /** Stable id, the key of the secret and of every cache. */
  id: string;
  email: string;
  displayName?: string;
  /** What the tree shows; the email address when empty. */
  label?: string;
  imap: ImapSettings;
  /** SHA-256 fingerprint of a certificate the user chose to trust although no CA vouches for it. */
  pinnedCertificate?: string;
  /** Folders for roles the server does not mark with SPECIAL-USE (asked once, then remembered). */
  folders?: Partial<Record<FolderRole, string>>;
  /** Other addresses this account sends from (aliases). */
  addresses?: string[];
  smtp?: SmtpAccountSettings;
  /** How the account signs in; a password when absent. Never holds a secret. */
  auth?: AuthSettings;
}

export type OAuthProviderId = 'microsoft' | 'google' | 'generic';
export type OAuthFlow = 'browser' | 'device' | 'vscode';

/** OAuth 2.0 sign-in: which authorization server, which registered client, which scopes. */
export interface OAuthSettings {
  method: 'oauth2';
  provider: OAuthProviderId;
  /** The client (application) id the user's organisation registered; we ship none of our own. */
  clientId: string;
  /** Microsoft: `organizations`, `common`, or a tenant id or domain. */
  tenant?: string;
  /** Generic: the issuer URL; its OpenID configuration is discovered. */
  issuer?: string;
  /** The scopes to ask for; the preset's when absent. */
  scopes?: string[];
  /** How the user signs in; the browser when absent. */
  flow?: OAuthFlow;
  /** A client secret for this client is kept in SecretStorage (Google desktop clients have one). */
  clientSecret?: boolean;
}

/** A program prints the password or an access token on its standard output (aerc, himalaya, mutt do the same). */
export interface CommandAuthSettings {
  method: 'command';
  /** argv: the program and its arguments, run without a shell. */
  command: string[];
  /** What the command prints: the password (its first line) or an OAuth 2.0 access token. */
  output: 'password' | 'token';
  timeoutSeconds?: number;
}

export type AuthSettings = { method: 'password' } | OAuthSettings | CommandAuthSettings;

/** The sign-in method of an account (password when the setting has none). */
export function authMethod(account: AccountConfig): AuthSettings['method'] {
  return account.auth?.method ?? 'password';
}

/** Whether the account logs in with an OAuth 2.0 access token (from a sign-in or from a command). */
export function usesToken(account: AccountConfig): boolean {
  return account.auth?.method === 'oauth2' || (account.auth?.method === 'command' && account.auth.output === 'token');
}

export interface SmtpAccountSettings {
  host: string;
  port: number;
  security: Security;
  /** Defaults to the IMAP user name. */
  user?: string;
  /** A password of its own in SecretStorage instead of the IMAP password. */
  separatePassword?: boolean;
  /** The server files sent mail itself (Gmail, Outlook): no copy is appended to Sent. */
  serverSavesSent?: boolean;
}

/** Gmail and Microsoft's services put submitted mail into Sent themselves. */
export function serverSavesSentByDefault(smtpHost: string): boolean {
  return /(?:^|\.)(?:gmail|googlemail)\.com$|(?:^|\.)(?:outlook|office365|hotmail|live)\.com$/i.test(smtpHost.trim());
}

/** What the account form proposes for SMTP once it knows the IMAP host. */
export function suggestSmtp(imapHost: string): SmtpAccountSettings {
  const host = imapHost.replace(/^imap\d*\./i, 'smtp.');
  return { host, port: 587, security: 'starttls', serverSavesSent: serverSavesSentByDefault(host) };
}

export type FolderRole = 'archive' | 'junk' | 'trash' | 'sent' | 'drafts';
export const FOLDER_ROLES: FolderRole[] = ['archive', 'junk', 'trash', 'sent', 'drafts'];

export const DEFAULT_PORTS: Record<Security, number> = { tls: 993, starttls: 143, none: 143 };

export function accountLabel(account: AccountConfig): string {
  return account.label?.trim() || account.email;
}

/** What the add-account form prefills once the user typed an email address. */
export function suggestFromEmail(email: string): Partial<ImapSettings> {
  const at = email.lastIndexOf('@');
  if (at < 1 || at === email.length - 1) {
    return {};
  }
  const domain = email.slice(at + 1).trim().toLowerCase();
  return { host: `imap.${domain}`, user: email.trim(), port: 993, security: 'tls' };
}

export interface FieldProblem {
  field: string;
  message: string;
}

const HOST = /^(?=.{1,253}$)(?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)*[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?$/i;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
const IPV6 = /^\[?[0-9A-F:.]+\]?$/i;
const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+$/;
const FINGERPRINT = /^(?:[0-9A-F]{2}:){31}[0-9A-F]{2}$/;

export function isValidHost(host: string): boolean {
  return HOST.test(host) || IPV4.test(host) || (host.includes(':') && IPV6.test(host));
}

/** Normalises "ab cd ef..." or "abcdef..." to Node's "AB:CD:EF..." form; undefined when it is not a SHA-256. */
export function normaliseFingerprint(value: string): string | undefined {
  const hex = value.replace(/[^0-9A-F]/gi, '').toUpperCase();
  if (hex.length !== 64) {
    return undefined;
  }
  const out = hex.match(/../g)!.join(':');
  return FINGERPRINT.test(out) ? out : undefined;
}

export function validateAccount(input: Partial<AccountConfig> & { imap?: Partial<ImapSettings> }): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (!input.email || !EMAIL.test(input.email.trim())) {
    problems.push({ field: 'email', message: 'Enter an email address like you@example.com.' });
  }
  const imap: Partial<ImapSettings> = input.imap ?? {};
  if (!imap.host || !isValidHost(imap.host.trim())) {
    problems.push({ field: 'host', message: 'Enter the IMAP server host name, like imap.example.com.' });
  }
  if (!Number.isInteger(imap.port) || (imap.port as number) < 1 || (imap.port as number) > 65535) {
    problems.push({ field: 'port', message: 'The port is a number from 1 to 65535 (993 for TLS, 143 for STARTTLS).' });
  }
  if (imap.security !== 'tls' && imap.security !== 'starttls' && imap.security !== 'none') {
    problems.push({ field: 'security', message: 'Choose TLS, STARTTLS or none.' });
  }
  if (!imap.user || !imap.user.trim()) {
    problems.push({ field: 'user', message: 'Enter the user name (often the email address).' });
  }
  if (input.pinnedCertificate !== undefined && !normaliseFingerprint(input.pinnedCertificate)) {
    problems.push({ field: 'pinnedCertificate', message: 'A pinned certificate is a SHA-256 fingerprint (64 hex digits).' });
  }
  return problems;
}

/**
 * Reads the accounts setting as written by hand or by us: keeps the valid entries, reports the
 * others by index so the UI can say which entry of settings.json is wrong.
 */
export function parseAccounts(raw: unknown): { accounts: AccountConfig[]; problems: string[] } {
  const accounts: AccountConfig[] = [];
  const problems: string[] = [];
  if (!Array.isArray(raw)) {
    return { accounts, problems: raw === undefined ? [] : ['imapExplorer.accounts must be a list.'] };
  }
  const seen = new Set<string>();
  raw.forEach((entry: unknown, index) => {
    if (!entry || typeof entry !== 'object') {
      problems.push(`Account ${index + 1} is not an object.`);
      return;
    }
    const e = entry as Record<string, unknown>;
    const imapRaw = (e.imap && typeof e.imap === 'object' ? e.imap : {}) as Record<string, unknown>;
    const security = (typeof imapRaw.security === 'string' ? imapRaw.security : 'tls') as Security;
    const candidate: AccountConfig = {
      id: typeof e.id === 'string' && e.id ? e.id : `account-${index + 1}`,
      email: typeof e.email === 'string' ? e.email.trim() : '',
      imap: {
        host: typeof imapRaw.host === 'string' ? imapRaw.host.trim() : '',
        port: typeof imapRaw.port === 'number' ? imapRaw.port : DEFAULT_PORTS[security] ?? 993,
        security,
        user: typeof imapRaw.user === 'string' ? imapRaw.user : typeof e.email === 'string' ? e.email : '',
      },
    };
    if (typeof e.displayName === 'string' && e.displayName) {
      candidate.displayName = e.displayName;
    }
    if (typeof e.label === 'string' && e.label) {
      candidate.label = e.label;
    }
    if (Array.isArray(e.addresses)) {
      const addresses = e.addresses.filter((a): a is string => typeof a === 'string' && EMAIL.test(a.trim())).map((a) => a.trim());
      if (addresses.length) {
        candidate.addresses = addresses;
      }
    }
    if (e.smtp && typeof e.smtp === 'object') {
      const s = e.smtp as Record<string, unknown>;
      const security = (s.security === 'tls' || s.security === 'starttls' || s.security === 'none' ? s.security : 'starttls') as Security;
      if (typeof s.host === 'string' && isValidHost(s.host.trim())) {
        candidate.smtp = {
          host: s.host.trim(),
          port: typeof s.port === 'number' && Number.isInteger(s.port) ? s.port : security === 'tls' ? 465 : 587,
          security,
          ...(typeof s.user === 'string' && s.user ? { user: s.user } : {}),
          ...(s.separatePassword === true ? { separatePassword: true } : {}),
          ...(typeof s.serverSavesSent === 'boolean' ? { serverSavesSent: s.serverSavesSent } : {}),
        };
      } else {
        problems.push(`Account ${index + 1} (${candidate.email}): the SMTP host is missing or invalid; sending is off for it.`);
      }
    }
    if (e.folders && typeof e.folders === 'object') {
      const folders: Partial<Record<FolderRole, string>> = {};
      for (const role of FOLDER_ROLES) {
        const value = (e.folders as Record<string, unknown>)[role];
        if (typeof value === 'string' && value) {
          folders[role] = value;
        }
      }
      if (Object.keys(folders).length) {
        candidate.folders = folders;
      }
    }
    if (typeof e.pinnedCertificate === 'string' && e.pinnedCertificate) {
      candidate.pinnedCertificate = normaliseFingerprint(e.pinnedCertificate) ?? e.pinnedCertificate;
    }
    if (e.auth !== undefined) {
      const auth = parseAuth(e.auth);
      if (typeof auth === 'string') {
        problems.push(`Account ${index + 1} (${candidate.email || 'no email'}): ${auth}`);
        return;
      }
      if (auth.method !== 'password') {
        candidate.auth = auth;
      }
    }
    const found = validateAccount(candidate);
    if (found.length > 0) {
      problems.push(`Account ${index + 1} (${candidate.email || 'no email'}): ${found.map((p) => p.message).join(' ')}`);
      return;
    }
    if (seen.has(candidate.id)) {
      problems.push(`Account ${index + 1} repeats the id "${candidate.id}"; it is ignored.`);
      return;
    }
    seen.add(candidate.id);
    accounts.push(candidate);
  });
  return { accounts, problems };
}

export function newAccountId(email: string, taken: Iterable<string>): string {
  const base = email.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'account';
  const used = new Set(taken);
  let id = base;
  for (let i = 2; used.has(id); i++) {
    id = `${base}-${i}`;
  }
  return id;
}

const OAUTH_PROVIDERS: readonly OAuthProviderId[] = ['microsoft', 'google', 'generic'];
const OAUTH_FLOWS: readonly OAuthFlow[] = ['browser', 'device', 'vscode'];

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
}

/** Reads an account's `auth` object; a string says what is wrong with it. */
export function parseAuth(raw: unknown): AuthSettings | string {
  if (!raw || typeof raw !== 'object') {
    return 'auth must be an object with a method.';
  }
  const a = raw as Record<string, unknown>;
  switch (a.method) {
    case undefined:
    case 'password':
      return { method: 'password' };
    case 'oauth2': {
      const provider = OAUTH_PROVIDERS.find((p) => p === a.provider);
      if (!provider) {
        return 'auth.provider must be microsoft, google or generic.';
      }
      if (typeof a.clientId !== 'string' || !a.clientId.trim()) {
        return 'auth.clientId is missing: the client id your organisation registered for mail.';
      }
      const out: OAuthSettings = { method: 'oauth2', provider, clientId: a.clientId.trim() };
      if (provider === 'generic') {
        const issuer = typeof a.issuer === 'string' ? a.issuer.trim() : '';
        const problem = issuerProblem(issuer);
        if (problem) {
          return problem;
        }
        out.issuer = issuer;
      }
      if (provider === 'microsoft' && typeof a.tenant === 'string' && a.tenant.trim()) {
        if (!/^[A-Z0-9.-]{1,100}$/i.test(a.tenant.trim())) {
          return 'auth.tenant is organizations, common, a tenant id or a domain.';
        }
        out.tenant = a.tenant.trim();
      }
      const scopes = stringList(a.scopes)?.map((s) => s.trim()).filter(Boolean);
      if (scopes?.length) {
        out.scopes = scopes;
      }
      const flow = OAUTH_FLOWS.find((f) => f === a.flow);
      if (flow) {
        if (flow === 'vscode' && provider !== 'microsoft') {
          return 'auth.flow "vscode" (VS Code\'s Microsoft account) works with the microsoft provider only.';
        }
        out.flow = flow;
      }
      if (a.clientSecret === true) {
        out.clientSecret = true;
      }
      return out;
    }
    case 'command': {
      const command = stringList(a.command);
      if (!command?.length || !command[0].trim()) {
        return 'auth.command must list the program and its arguments, e.g. ["pass", "show", "mail/work"].';
      }
      const output = a.output === 'token' ? 'token' : 'password';
      const out: CommandAuthSettings = { method: 'command', command, output };
      if (typeof a.timeoutSeconds === 'number' && Number.isInteger(a.timeoutSeconds) && a.timeoutSeconds >= 1 && a.timeoutSeconds <= 300) {
        out.timeoutSeconds = a.timeoutSeconds;
      }
      return out;
    }
    default:
      return 'auth.method must be password, oauth2 or command.';
  }
}

/** Why an issuer URL cannot be used: only https, or http on this machine's loopback (RFC 8252 7.3). */
export function issuerProblem(issuer: string): string | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return 'auth.issuer must be the issuer URL of your OpenID provider, like https://login.example.com/realms/mail.';
  }
  if (url.username || url.password || url.search || url.hash) {
    return 'auth.issuer must not carry a user name, query or fragment.';
  }
  if (url.protocol === 'https:') {
    return undefined;
  }
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) {
    return undefined;
  }
  return 'auth.issuer must use https (plain http is allowed only on this machine: 127.0.0.1, ::1 or localhost).';
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h);
}
