// The accounts' mail in VS Code: one store (core/mail/store.ts) and one loader
// (core/mail/accountSync.ts) per configured account, built when the account appears, rebuilt
// when it points at another mailbox, dropped (with its cache) when it goes. The Mail view, the
// badge, the status bar, the message view, triage, live updates and compose all read and change
// mail through here, so they all see one state.
import * as vscode from 'vscode';
import { type AccountStore } from '../accounts/accountStore';
import { type SessionPool } from '../accounts/sessions';
import { type AccountConfig } from '../core/account';
import { type MailError } from '../core/errors';
import { type Logger } from '../core/log';
import { AccountSync } from '../core/mail/accountSync';
import { folderDisplayName } from '../core/mail/folderName';
import { type FolderInfo } from '../core/mail/folders';
import { cacheKeyOf, type HeaderCache } from '../core/mail/headerCache';
import { type MessageSummary } from '../core/mail/headers';
import { MailStore, type StoreEvent } from '../core/mail/store';
import { Disposable } from '../util/dispose';
import { type UiText, uiPlain } from '../util/ui';
import { type MessageRef } from './nodes';
import { QuickFilters } from './quickFilters';

interface Entry {
  store: MailStore;
  loader: AccountSync;
  key: string;
  subscription: { dispose(): void };
}

export class MailModel extends Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly changed = this._register(new vscode.EventEmitter<{ accountId: string; event: StoreEvent }>());
  /** A store changed (what, by id). */
  readonly onDidChange = this.changed.event;
  private readonly accountsChanged = this._register(new vscode.EventEmitter<void>());
  /** Accounts were added, removed or edited. */
  readonly onDidChangeAccounts = this.accountsChanged.event;
  private readonly ownFlags = this._register(new vscode.EventEmitter<{ accountId: string; path: string; uids: number[]; flags: string[]; on: boolean }>());
  /**
   * Our own STORE succeeded, whether or not the folder's window is loaded (the store applies it
   * only to a loaded window): rows shown elsewhere (search results, conversations) follow it.
   */
  readonly onDidSetFlags = this.ownFlags.event;
  /** The folders' quick filters (Unread, Flagged, From this sender, This conversation). */
  readonly filters: QuickFilters;

  constructor(
    private readonly accountStore: AccountStore,
    private readonly sessions: SessionPool,
    private readonly logger: Logger,
    /** The header cache, when it is turned on (`imapExplorer.cache.enabled`). */
    private readonly headerCache: () => HeaderCache | undefined,
  ) {
    super();
    this.filters = this._register(new QuickFilters(sessions, () => this.pageSize()));
    this._register(this.changed.event(({ accountId, event }) => this.filters.storeChanged(accountId, event)));
    this._register(this.ownFlags.event(({ accountId, path, uids, flags, on }) => this.filters.ownFlags(accountId, path, uids, flags, on)));
    this.syncAccounts();
    this._register(accountStore.onDidChange(() => {
      this.syncAccounts();
      this.accountsChanged.fire();
    }));
    this._register(vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('imapExplorer.showSubscribedOnly')) {
        this.entries.forEach((entry) => entry.loader.refreshAll());
      }
    }));
    this._register({ dispose: () => [...this.entries.keys()].forEach((id) => this.drop(id, false)) });
  }

  private syncAccounts(): void {
    const accounts = this.accountStore.all();
    for (const id of [...this.entries.keys()]) {
      if (!accounts.some((a) => a.id === id)) {
        this.drop(id, true);
      }
    }
    for (const account of accounts) {
      const key = cacheKeyOf(account);
      const entry = this.entries.get(account.id);
      if (entry?.key === key) {
        continue;
      }
      // another server or user behind the same id is another mailbox
      this.drop(account.id, Boolean(entry));
      const store = new MailStore(account.id);
      const loader = new AccountSync({
        store,
        session: () => this.sessions.get(account.id),
        cache: this.headerCache,
        cacheKey: key,
        pageSize: () => this.pageSize(),
        subscribedOnly: () => vscode.workspace.getConfiguration('imapExplorer').get<boolean>('showSubscribedOnly', false),
        logger: this.logger,
        label: account.id,
      });
      const subscription = store.onDidChange((event) => this.changed.fire({ accountId: account.id, event }));
      this.entries.set(account.id, { store, loader, key, subscription });
    }
  }

  /** Rows per page (`imapExplorer.pageSize`, 10 to 500). */
  pageSize(): number {
    return Math.min(500, Math.max(10, Math.floor(vscode.workspace.getConfiguration('imapExplorer').get<number>('pageSize', 50))));
  }

  private drop(accountId: string, forgetCache: boolean): void {
    const entry = this.entries.get(accountId);
    if (!entry) {
      return;
    }
    this.filters.clearAccount(accountId);
    this.entries.delete(accountId);
    entry.subscription.dispose();
    entry.loader.dispose();
    if (forgetCache) {
      void this.headerCache()?.clearAccount(entry.key);
    }
  }

  accounts(): AccountConfig[] {
    return this.accountStore.all();
  }

  account(accountId: string): AccountConfig | undefined {
    return this.accountStore.get(accountId);
  }

  store(accountId: string): MailStore | undefined {
    return this.entries.get(accountId)?.store;
  }

  loader(accountId: string): AccountSync | undefined {
    return this.entries.get(accountId)?.loader;
  }

  // ---- for the message view, triage, compose ----

  /** The headers of a message as the store holds them, if its window is loaded. */
  summaryOf(ref: MessageRef): MessageSummary | undefined {
    const window = this.store(ref.accountId)?.window(ref.path);
    if (!window || (ref.uidValidity && window.uidValidity !== ref.uidValidity)) {
      return undefined;
    }
    return window.find(ref.uid);
  }

  /** A flag we set on one message (opening it marks it read). */
  applyFlag(ref: MessageRef, flag: string, on: boolean): void {
    const window = this.store(ref.accountId)?.window(ref.path);
    if (!window || !ref.uidValidity || window.uidValidity === ref.uidValidity) {
      this.setFlagsInModel(ref.accountId, ref.path, [ref.uid], [flag], on);
    }
  }

  /** Our own STORE succeeded (triage, undo, \Answered after a reply). */
  setFlagsInModel(accountId: string, path: string, uids: number[], flags: string[], on: boolean): void {
    this.store(accountId)?.apply({ type: 'flags', path, uids, flags, on });
    this.ownFlags.fire({ accountId, path, uids, flags, on });
  }

  /** Our own move or expunge took these messages out of a folder. */
  removeFromModel(accountId: string, path: string, uids: number[]): void {
    this.store(accountId)?.apply({ type: 'removed', path, uids });
    this.filters.removed(accountId, path, uids);
  }

  /** Messages were put into a folder, or a failure left its rows in doubt: bring it up to date. */
  invalidateFolder(accountId: string, path: string): void {
    this.loader(accountId)?.received(path);
  }

  /** Asks the server for the account's counts again (soon, once for a burst). */
  refreshCounts(accountId: string): void {
    this.loader(accountId)?.refreshCounts();
  }

  /**
   * A folder as the user knows it: its name in the Mail tree ("Triage / Confirmed", without a
   * personal namespace prefix such as "INBOX."), else its path cut at its delimiter (folderName.ts).
   */
  folderName(accountId: string, path: string): UiText {
    return uiPlain(this.folderLabel(accountId, path));
  }

  /** folderName as a plain string, for a surface that shows text as text (a webview's textContent). */
  folderLabel(accountId: string, path: string): string {
    const store = this.store(accountId);
    return store?.folderName(path) ?? folderDisplayName(path, store?.folder(path)?.delimiter);
  }

  /** All folders of an account as listed last (for pickers), without asking the server again. */
  knownFolders(accountId: string): FolderInfo[] | undefined {
    const store = this.store(accountId);
    return store?.folders ? store.allFolders() : undefined;
  }

  /** The loaded messages of a folder, if its window is loaded. */
  folderMessages(accountId: string, path: string): readonly MessageSummary[] | undefined {
    return this.store(accountId)?.window(path)?.messages;
  }

  accountError(accountId: string): MailError | undefined {
    return this.store(accountId)?.accountError;
  }

  /** Unread mail in each account's INBOX: what the badge and the status bar show. */
  inboxUnseen(): Array<{ account: AccountConfig; unseen: number }> {
    return this.accounts().map((account) => ({ account, unseen: this.store(account.id)?.unseen('INBOX') ?? 0 }));
  }
}
