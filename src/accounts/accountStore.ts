// Non-secret account settings in `imapExplorer.accounts` (user settings only, with a JSON schema):
// the setting is application-scoped and read with inspect(), so a workspace cannot add an account
// or point one at another server, and saving writes back only what the user's settings held.
import * as vscode from 'vscode';
import { type AccountConfig, parseAccounts } from '../core/account';
import { Disposable } from '../util/dispose';
import { showWarning, t, uiPlain } from '../util/ui';
import { userSetting } from './userSettings';

export class AccountStore extends Disposable {
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;
  private cached: AccountConfig[] | undefined;
  private reportedProblems = '';

  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('imapExplorer.accounts')) {
          this.cached = undefined;
          this.changed.fire();
        }
      }),
    );
  }

  all(): AccountConfig[] {
    if (!this.cached) {
      const raw = userSetting<unknown>('accounts', []);
      const { accounts, problems } = parseAccounts(raw);
      const text = problems.join(' ');
      if (text && text !== this.reportedProblems) {
        this.log.warn(`Settings: ${text}`);
        void showWarning(t('Some mail accounts in settings are invalid and were skipped: {0}', uiPlain(text, 600)));
      }
      this.reportedProblems = text;
      this.cached = accounts;
    }
    return this.cached;
  }

  get(id: string): AccountConfig | undefined {
    return this.all().find((a) => a.id === id);
  }

  private async write(accounts: AccountConfig[]): Promise<void> {
    await vscode.workspace.getConfiguration('imapExplorer').update('accounts', accounts, vscode.ConfigurationTarget.Global);
    this.cached = undefined;
  }

  async save(account: AccountConfig): Promise<void> {
    const all = this.all();
    const index = all.findIndex((a) => a.id === account.id);
    const next = [...all];
    if (index >= 0) {
      next[index] = account;
    } else {
      next.push(account);
    }
    await this.write(next);
  }

  async remove(id: string): Promise<void> {
    await this.write(this.all().filter((a) => a.id !== id));
  }
}
