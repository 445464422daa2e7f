// What a login presents: a password or an OAuth 2.0 access token, from a source that can be asked
// for a fresh one once after the server refused it (an access token that expired, a password
// manager that had an old entry). The session asks renew() at most once per login.

/** One login's credential. Never logged; every value is registered with the log's redaction. */
export type Credential = { kind: 'password'; password: string } | { kind: 'token'; accessToken: string };

export interface CredentialSource {
  /** The credential for the next login. Throws a MailError that says what the user must do. */
  get(): Promise<Credential>;
  /**
   * After the server refused `rejected` (AUTHENTICATIONFAILED): a different credential to retry
   * with once, or undefined when another attempt cannot help (the same password again).
   */
  renew?(rejected: Credential): Promise<Credential | undefined>;
  /** What is known about the current token without revealing it (for decoding a refusal). */
  tokenInfo?(): TokenInfo | undefined;
}

/** Non-secret facts about an access token: from the token endpoint's answer or the token's own claims. */
export interface TokenInfo {
  /** Scopes the authorization server said it granted (RFC 6749 5.1 `scope`). */
  scopes?: string[];
  /** When the token expires, in ms since the epoch. */
  expiresAt?: number;
}

/** A fixed password (the account form's test, the CLI, a password from SecretStorage). */
export function passwordSource(read: () => Promise<string>): CredentialSource {
  return { get: async () => ({ kind: 'password', password: await read() }) };
}

/** A fixed access token (the CLI's --oauth-token-cmd once run, a test). */
export function tokenSource(read: () => Promise<string>): CredentialSource {
  return { get: async () => ({ kind: 'token', accessToken: await read() }) };
}
