// Messages between the account form (webview) and the host. Validated on receipt like the
// message view's protocol.
import { type OAuthFlow, type OAuthProviderId, type Security } from '../core/account';

export type SignInMethod = 'password' | 'oauth2' | 'command';

export interface FormValues {
  email: string;
  displayName: string;
  host: string;
  port: string;
  security: Security;
  user: string;
  /** Empty when editing and the stored password should stay. */
  password: string;
  /** Outgoing mail; an empty host means no sending from this account. */
  smtpHost: string;
  smtpPort: string;
  smtpSecurity: Security;
  /** 'yes' when SMTP signs in with the IMAP user name and password. */
  smtpSameLogin: 'yes' | 'no';
  smtpUser: string;
  smtpPassword: string;
  serverSavesSent: 'yes' | 'no';
  /** How the account signs in. */
  signIn: SignInMethod;
  oauthProvider: OAuthProviderId;
  oauthIssuer: string;
  oauthClientId: string;
  oauthTenant: string;
  /** Space-separated; the preset's when empty. */
  oauthScopes: string;
  oauthFlow: OAuthFlow;
  /** Empty when editing and the stored client secret (if any) should stay. */
  oauthClientSecret: string;
  /** The credential command as one line of words (quotes allowed; no shell runs it). */
  command: string;
  commandOutput: 'password' | 'token';
}

export interface CertificateView {
  sha256: string;
  subject: string;
  issuer: string;
  validTo: string;
  selfSigned: boolean;
}

export type FormHostToView =
  | { type: 'init'; mode: 'add' | 'edit'; values: FormValues; hasPassword: boolean; pinned?: string; signedIn?: boolean }
  /** What the address suggests (sign-in method, servers), for fields the user has not changed. */
  | { type: 'suggest'; email: string; signIn: SignInMethod; provider?: OAuthProviderId; because: string; imap?: { host: string; port: number; security: Security }; smtp?: { host: string; port: number; security: Security } }
  | { type: 'deviceCode'; userCode: string; verificationUri: string }
  | { type: 'signInState'; signedIn: boolean; text: string; failed?: boolean }
  | { type: 'busy'; text: string }
  | { type: 'result'; ok: boolean; message: string; fieldErrors?: Array<{ field: string; message: string }>; certificate?: CertificateView; canTrust?: boolean; pinned?: string };

export type FormViewToHost =
  | { type: 'ready' }
  | { type: 'submit'; action: 'test' | 'save' | 'diagnose'; values: FormValues }
  | { type: 'trust'; sha256: string; values: FormValues }
  | { type: 'forgetPin'; values: FormValues }
  | { type: 'signIn'; values: FormValues }
  | { type: 'cancelSignIn' }
  /** Copies the device code the host holds (the webview never hands the host text to copy). */
  | { type: 'copyDeviceCode' }
  | { type: 'lookup'; email: string }
  | { type: 'cancel' };

function str(value: unknown, max = 1000): string | undefined {
  return typeof value === 'string' && value.length <= max ? value : undefined;
}

function values(raw: unknown): FormValues | undefined {
  if (!raw || typeof raw !== 'object') {
    return undefined;
  }
  const v = raw as Record<string, unknown>;
  const security = v.security === 'tls' || v.security === 'starttls' || v.security === 'none' ? v.security : undefined;
  const smtpSecurity = v.smtpSecurity === 'tls' || v.smtpSecurity === 'starttls' || v.smtpSecurity === 'none' ? v.smtpSecurity : undefined;
  const yesNo = (x: unknown) => (x === 'yes' || x === 'no' ? x : undefined);
  const oneOf = <T extends string>(x: unknown, allowed: readonly T[]): T | undefined => allowed.find((a) => a === x);
  const out = {
    email: str(v.email, 320),
    displayName: str(v.displayName, 200),
    host: str(v.host, 253),
    port: str(v.port, 10),
    security,
    user: str(v.user, 320),
    password: str(v.password, 2000),
    smtpHost: str(v.smtpHost, 253),
    smtpPort: str(v.smtpPort, 10),
    smtpSecurity,
    smtpSameLogin: yesNo(v.smtpSameLogin),
    smtpUser: str(v.smtpUser, 320),
    smtpPassword: str(v.smtpPassword, 2000),
    serverSavesSent: yesNo(v.serverSavesSent),
    signIn: oneOf(v.signIn, ['password', 'oauth2', 'command'] as const),
    oauthProvider: oneOf(v.oauthProvider, ['microsoft', 'google', 'generic'] as const),
    oauthIssuer: str(v.oauthIssuer, 500),
    oauthClientId: str(v.oauthClientId, 300),
    oauthTenant: str(v.oauthTenant, 100),
    oauthScopes: str(v.oauthScopes, 2000),
    oauthFlow: oneOf(v.oauthFlow, ['browser', 'device', 'vscode'] as const),
    oauthClientSecret: str(v.oauthClientSecret, 2000),
    command: str(v.command, 2000),
    commandOutput: oneOf(v.commandOutput, ['password', 'token'] as const),
  };
  return Object.values(out).every((x) => x !== undefined) ? (out as FormValues) : undefined;
}

export function parseFormMessage(raw: unknown): FormViewToHost | undefined {
  if (!raw || typeof raw !== 'object') {
    return undefined;
  }
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
    case 'cancel':
    case 'cancelSignIn':
    case 'copyDeviceCode':
      return { type: m.type };
    case 'signIn': {
      const v = values(m.values);
      return v ? { type: 'signIn', values: v } : undefined;
    }
    case 'lookup': {
      const email = str(m.email, 320);
      return email !== undefined ? { type: 'lookup', email } : undefined;
    }
    case 'submit': {
      const v = values(m.values);
      return v && (m.action === 'test' || m.action === 'save' || m.action === 'diagnose') ? { type: 'submit', action: m.action, values: v } : undefined;
    }
    case 'trust': {
      const v = values(m.values);
      const sha = str(m.sha256, 200);
      return v && sha ? { type: 'trust', sha256: sha, values: v } : undefined;
    }
    case 'forgetPin': {
      const v = values(m.values);
      return v ? { type: 'forgetPin', values: v } : undefined;
    }
    default:
      return undefined;
  }
}
