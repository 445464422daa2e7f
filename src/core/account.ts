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
