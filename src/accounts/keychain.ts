// Passwords in SecretStorage, one key per account. Failures are logged, values never are.
import type * as vscode from 'vscode';

const KEY_PREFIX = 'imapExplorer.password.';
const SMTP_PREFIX = 'imapExplorer.smtpPassword.';

export class Keychain {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async get(accountId: string): Promise<string | undefined> {
    try {
      return await this.secrets.get(KEY_PREFIX + accountId);
    } catch (err) {
      this.log.error(`Cannot read the password of ${accountId} from secret storage: ${err instanceof Error ? err.message : 'unknown error'}`);
      return undefined;
    }
  }

  async set(accountId: string, password: string): Promise<void> {
    await this.secrets.store(KEY_PREFIX + accountId, password);
  }

  async delete(accountId: string): Promise<void> {
    try {
      await this.secrets.delete(KEY_PREFIX + accountId);
    } catch (err) {
      this.log.error(`Cannot delete the password of ${accountId}: ${err instanceof Error ? err.message : 'unknown error'}`);
    }
  }

  /** The SMTP password, for accounts whose SMTP login has one of its own. */
  async getSmtp(accountId: string): Promise<string | undefined> {
    try {
      return await this.secrets.get(SMTP_PREFIX + accountId);
    } catch (err) {
      this.log.error(`Cannot read the SMTP password of ${accountId}: ${err instanceof Error ? err.message : 'unknown error'}`);
      return undefined;
    }
  }

  async setSmtp(accountId: string, password: string): Promise<void> {
    await this.secrets.store(SMTP_PREFIX + accountId, password);
  }

  async deleteSmtp(accountId: string): Promise<void> {
    try {
      await this.secrets.delete(SMTP_PREFIX + accountId);
    } catch (err) {
      this.log.error(`Cannot delete the SMTP password of ${accountId}: ${err instanceof Error ? err.message : 'unknown error'}`);
    }
  }

  onDidChange(listener: (accountId: string) => void): vscode.Disposable {
    return this.secrets.onDidChange((e) => {
      if (e.key.startsWith(KEY_PREFIX)) {
        listener(e.key.slice(KEY_PREFIX.length));
      }
    });
  }
}
