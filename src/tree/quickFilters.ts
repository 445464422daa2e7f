// The quick filters of the Mail view's folders: which folder has which filters on, and the search
// of that folder that gives its rows while they are on (core/search/run.ts over the account's
// search connections). The Mail view draws a filtered folder's rows from here; the folder's row
// names its filters. Filters last for the window's life (as a mail client's quick filter bar).
import * as vscode from 'vscode';
import { type SessionPool } from '../accounts/sessions';
import { filterQuery, type QuickFilter, sortFilters } from '../core/mail/quickFilter';
import { type StoreEvent } from '../core/mail/store';
import { SearchRun } from '../core/search/run';
import { Disposable } from '../util/dispose';

export interface FilteredFolder {
  accountId: string;
  path: string;
  /** In display order (sortFilters), never empty. */
  filters: QuickFilter[];
  run: SearchRun;
}

function keyOf(accountId: string, path: string): string {
  return `${accountId}\u0000${path}`;
}

export class QuickFilters extends Disposable {
  private readonly folders = new Map<string, FilteredFolder>();
  private readonly changed = this._register(new vscode.EventEmitter<{ accountId: string; path: string }>());
  /** A folder's filters or its filtered rows changed: redraw the folder's row and the rows below it. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly sessions: SessionPool,
    private readonly pageSize: () => number,
  ) {
    super();
    this._register({ dispose: () => this.clearAll() });
  }

  /** The folder's filters and their search, when some are on. */
  get(accountId: string, path: string): FilteredFolder | undefined {
    return this.folders.get(keyOf(accountId, path));
  }

  /** Turns the folder's filters to `filters` (none: the folder shows all its messages again). */
  set(accountId: string, path: string, filters: readonly QuickFilter[]): void {
    const key = keyOf(accountId, path);
    this.folders.get(key)?.run.dispose();
    this.folders.delete(key);
    const sorted = sortFilters(filters);
    if (sorted.length) {
      const run = new SearchRun(filterQuery(sorted), [{ accountId, path }], { pool: (id) => this.sessions.searchPool(id), pageSize: this.pageSize() });
      const entry: FilteredFolder = { accountId, path, filters: sorted, run };
      this.folders.set(key, entry);
      run.onDidChange(() => {
        if (this.folders.get(key) === entry) {
          this.changed.fire({ accountId, path });
        }
      });
      void run.start();
    }
    this.changed.fire({ accountId, path });
  }

  /** Every filter of every folder off (an account went away, the window closes). */
  clearAll(): void {
    for (const entry of this.folders.values()) {
      entry.run.dispose();
    }
    this.folders.clear();
  }

  /** Filters of an account's folders off (the account was removed or now points at another mailbox). */
  clearAccount(accountId: string): void {
    for (const entry of [...this.folders.values()].filter((e) => e.accountId === accountId)) {
      this.set(accountId, entry.path, []);
    }
  }

  // ---- live updates (what the store learned, our own flags and moves) ----

  /**
   * What the store applied from the server: new mail is checked against the filters (one UID
   * SEARCH of the new UIDs), flags and expunges reach the rows. A loaded or dropped window and
   * the rows of "Load more" are no news about the messages themselves.
   */
  storeChanged(accountId: string, event: StoreEvent): void {
    for (const { path, change, source, older } of event.changes) {
      const entry = this.get(accountId, path);
      if (!entry || change.reset || source !== 'server') {
        continue;
      }
      for (const f of change.flagged) {
        entry.run.flagsChanged({ accountId, path }, f.uid, f.after);
      }
      if (change.removed.length) {
        entry.run.removed({ accountId, path }, change.removed.map((m) => m.uid));
      }
      if (!older && change.added.length) {
        void entry.run.arrived({ accountId, path }, change.added.map((m) => m.uid));
      }
    }
  }

  /** Our own STORE succeeded: the filtered rows show the new flags (a read message stays until the filter is turned off). */
  ownFlags(accountId: string, path: string, uids: number[], flags: string[], on: boolean): void {
    const entry = this.get(accountId, path);
    if (!entry) {
      return;
    }
    const ref = { accountId, path };
    for (const uid of uids) {
      const hit = entry.run.results.find(ref, uid);
      if (hit) {
        entry.run.flagsChanged(ref, uid, on ? [...new Set([...hit.message.flags, ...flags])] : hit.message.flags.filter((f) => !flags.includes(f)));
      }
    }
  }

  /** Our own move or expunge took these messages out of the folder. */
  removed(accountId: string, path: string, uids: number[]): void {
    this.get(accountId, path)?.run.removed({ accountId, path }, uids);
  }
}
