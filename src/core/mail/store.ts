// The mail store of one account: the folder list, each folder's loaded window of headers, the
// counts (one unread number per folder) and the errors. It is the one model the Mail view, the
// badge and the status bar project, and the door every change comes through: the LIST, a page
// load, the header cache, a resync, IDLE, our own actions, undo and compose all call apply(), and
// apply() says what changed, by stable id (account, folder path, UID), in one event. No network
// here and no vscode: the loads live in accountSync.ts, the projection in src/tree/.
//
// Answers that cross the network can arrive late. Two rules keep a late answer from undoing a
// newer state: a window answer carries the window's `generation` (bumped whenever the window is
// dropped or replaced) and is ignored for another generation; a count carries the ticket taken
// when it was asked, and is ignored when something newer was applied since (our own action
// moving the count, or a count asked later).
//
// Windows are keyed by folder path today. Another kind of window (search results over several
// folders, a conversation) is another map here whose rows name their message by (path,
// UIDVALIDITY, UID), fed through the same apply() and the same two rules; message-level updates
// ('flags', 'removed', 'delta') then also reach the windows that hold those messages.
import { type MailError } from '../errors';
import { type FolderInfo, flattenFolders } from './folders';
import { folderTreeNames } from './folderName';
import { type HeaderPage } from './headers';
import { emptyChange, type FolderChange, FolderWindow, isEmptyChange, unseenDelta, type WindowDelta } from './window';

/** Where a change came from; the message view, notifications and the cache react differently. */
export type ChangeSource = 'cache' | 'server' | 'action';

export type StoreUpdate =
  /** A LIST answer (or the list the cache kept); `asked` is the ticket taken before asking. */
  | { type: 'folders'; folders: FolderInfo[]; source: 'cache' | 'server'; asked: number }
  /** Counts the server gave (LIST-STATUS, STATUS, the INBOX watcher's count). */
  | { type: 'counts'; counts: Array<{ path: string; unseen?: number; total?: number }>; asked: number }
  /** A window's first page, a reload, or headers restored from the cache: replaces the window. */
  | { type: 'window'; path: string; window: FolderWindow; generation: number; source: 'cache' | 'server' }
  /** The next older page ("Load more"). */
  | { type: 'page'; path: string; page: HeaderPage; generation: number }
  /** What the server reported about a window: a resync (with its generation) or IDLE (any generation). */
  | { type: 'delta'; path: string; delta: WindowDelta; generation?: number }
  /** The window is worthless (a new UIDVALIDITY, a reload asked for): dropped, loaded again when shown. */
  | { type: 'drop'; path: string }
  /** The server told of changes in a folder without saying which (no window to apply them to then). */
  | { type: 'heard'; path: string }
  /** Our own STORE succeeded (flag, read, keyword, undo of those, \Answered after a reply). */
  | { type: 'flags'; path: string; uids: number[]; flags: string[]; on: boolean }
  /** Our own move or expunge took messages out of a folder. */
  | { type: 'removed'; path: string; uids: number[] }
  /** A load failed: on the folder, or (no path, or a failure of the connection) on the account. */
  | { type: 'failed'; path?: string; error: MailError }
  /** The user asked again (Retry, a new password): errors are forgotten, loads may start again. */
  | { type: 'retry' };

export interface StoreEvent {
  /** The account row and the rows right below it (folder list, account error) changed. */
  account: boolean;
  /** Folders whose row (name, unread count) or the rows below it (window, error) changed. */
  folders: Set<string>;
  /** Message rows whose flags alone changed, by folder path, where the folder itself did not change. */
  messages: Map<string, number[]>;
  /** Folders whose counts changed (the badge and the status bar listen). */
  counts: Set<string>;
  /** What changed in each window, and why; `older` marks the rows of "Load more" (not new mail). */
  changes: Array<{ path: string; change: FolderChange; source: ChangeSource; older?: boolean }>;
  /** Windows that may miss a change the server reported: to be resynced. */
  stale: Set<string>;
}

/** Failures of the account (its connection, its login), shown once on the account row, not per folder. */
export function isAccountError(error: MailError): boolean {
  return !['SERVER_NO', 'NOT_FOUND', 'INVALID_INPUT', 'UNKNOWN'].includes(error.code);
}

interface FolderState {
  window?: FolderWindow;
  generation: number;
  /** Why the window could not be loaded: the folder's own error, or the account's (then shown there). */
  error?: MailError;
  /** Ticket of the last server report about this folder that found no window to apply to. */
  heard?: number;
}

interface Count {
  unseen?: number;
  total?: number;
  ticket: number;
}

export class MailStore {
  private folderTree: FolderInfo[] | undefined;
  private treeNames: Map<string, string> | undefined;
  private folderSource: 'cache' | 'server' | undefined;
  /** Ticket of the LIST whose tree is shown: an answer to an older LIST never replaces it. */
  private foldersAsked = 0;
  private byPath = new Map<string, FolderInfo>();
  private readonly states = new Map<string, FolderState>();
  private readonly counts = new Map<string, Count>();
  private accountFailure: MailError | undefined;
  private tickets = 0;
  private readonly listeners = new Set<(event: StoreEvent) => void>();

  constructor(readonly accountId: string) {}

  // ---- reads ----

  /** The folder hierarchy, or undefined before the first LIST (or cache) answered. */
  get folders(): readonly FolderInfo[] | undefined {
    return this.folderTree;
  }

  /** Whether the folder list came from the server in this session (not only from the cache). */
  get foldersListed(): boolean {
    return this.folderSource === 'server';
  }

  /**
   * A folder's name as the tree shows it ("Triage / Confirmed", without a personal namespace
   * prefix: folderTreeNames), or undefined while the folder is not in the listed tree.
   */
  folderName(path: string): string | undefined {
    this.treeNames ??= this.folderTree ? folderTreeNames(this.folderTree) : undefined;
    return this.treeNames?.get(path);
  }

  /** A folder as last listed, by its IMAP path. */
  folder(path: string): FolderInfo | undefined {
    return this.byPath.get(path);
  }

  /** Every folder of the hierarchy, parents before their children. */
  allFolders(): FolderInfo[] {
    return [...this.byPath.values()];
  }

  /** A folder's loaded window, or undefined when none is loaded (never expanded, dropped, failed). */
  window(path: string): FolderWindow | undefined {
    return this.states.get(path)?.window;
  }

  /** Every loaded window. */
  windows(): FolderWindow[] {
    return [...this.states.values()].flatMap((s) => (s.window ? [s.window] : []));
  }

  /** The current generation of a folder's window: take it before a load, hand it back with the answer. */
  generation(path: string): number {
    return this.state(path).generation;
  }

  /** The one unread number of a folder: the row, the badge and the status bar all read this. */
  unseen(path: string): number | undefined {
    return this.counts.get(path)?.unseen;
  }

  /** Messages in the folder (LIST-STATUS MESSAGES), when known. */
  total(path: string): number | undefined {
    return this.counts.get(path)?.total;
  }

  /** Why the account cannot be used now (login, certificate, connection), shown once on its row. */
  get accountError(): MailError | undefined {
    return this.accountFailure;
  }

  /** A folder's own failure; undefined when it failed only because the account did. */
  folderError(path: string): MailError | undefined {
    const error = this.states.get(path)?.error;
    return error && !isAccountError(error) ? error : undefined;
  }

  /** The window could not be loaded and will not be tried again until the user retries. */
  failed(path: string): boolean {
    return Boolean(this.states.get(path)?.error);
  }

  /** Whether the server told of changes in this folder after `ticket` while no window held them. */
  heardAfter(path: string, ticket: number): boolean {
    const heard = this.states.get(path)?.heard;
    return heard !== undefined && heard > ticket;
  }

  /** A point in time: an answer asked after it is newer than any change applied before it. */
  ticket(): number {
    return ++this.tickets;
  }

  /** Listens to every change, after it was applied. */
  onDidChange(listener: (event: StoreEvent) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  // ---- the door ----

  /** Applies one change and tells every listener what changed, by id (the event, also returned). */
  apply(update: StoreUpdate): StoreEvent | undefined {
    const event: StoreEvent = { account: false, folders: new Set(), messages: new Map(), counts: new Set(), changes: [], stale: new Set() };
    switch (update.type) {
      case 'folders':
        this.setFolders(update.folders, update.source, update.asked, event);
        break;
      case 'counts':
        for (const c of update.counts) {
          this.setCount(c.path, c, update.asked, event);
        }
        break;
      case 'window': {
        const state = this.state(update.path);
        if (state.generation !== update.generation) {
          return undefined;
        }
        state.window = update.window;
        state.error = undefined;
        state.generation++;
        event.folders.add(update.path);
        event.changes.push({ path: update.path, change: { ...emptyChange(), reset: true, added: [...update.window.messages] }, source: update.source });
        if (update.source === 'server') {
          this.online(event);
        }
        break;
      }
      case 'page': {
        const state = this.state(update.path);
        if (state.generation !== update.generation || !state.window || state.window.uidValidity !== update.page.uidValidity) {
          return undefined;
        }
        this.windowChanged(update.path, state.window.addOlderPage(update.page), 'server', event, true, true);
        this.online(event);
        break;
      }
      case 'delta': {
        const state = this.state(update.path);
        if (update.generation !== undefined && state.generation !== update.generation) {
          return undefined;
        }
        if (!state.window) {
          state.heard = this.ticket();
          return undefined;
        }
        if (state.window.uidValidity !== update.delta.uidValidity) {
          this.drop(update.path, event);
          break;
        }
        this.windowChanged(update.path, state.window.apply(update.delta), 'server', event, false);
        this.online(event);
        break;
      }
      case 'drop':
        this.drop(update.path, event);
        break;
      case 'heard': {
        // a page being loaded may predate this: its loader looks here (heardAfter) and resyncs
        const state = this.state(update.path);
        state.heard = this.ticket();
        if (state.window) {
          event.stale.add(update.path);
        }
        break;
      }
      case 'flags':
      case 'removed': {
        const window = this.window(update.path);
        if (window) {
          const change = update.type === 'flags' ? window.setFlags(update.uids, update.flags, update.on) : window.remove(update.uids);
          this.windowChanged(update.path, change, 'action', event, update.type === 'removed');
          this.moveCount(update.path, unseenDelta(change), update.type === 'removed' ? -change.removed.length : 0, event);
        }
        break;
      }
      case 'failed':
        this.fail(update.path, update.error, event);
        break;
      case 'retry':
        if (this.accountFailure) {
          this.accountFailure = undefined;
          event.account = true;
        }
        for (const [path, state] of this.states) {
          if (state.error) {
            state.error = undefined;
            event.folders.add(path);
          }
        }
        break;
    }
    return this.emit(event);
  }

  private emit(event: StoreEvent): StoreEvent | undefined {
    if (!event.account && !event.folders.size && !event.messages.size && !event.counts.size && !event.changes.length && !event.stale.size) {
      return undefined;
    }
    for (const path of event.folders) {
      event.messages.delete(path);
    }
    for (const listener of [...this.listeners]) {
      listener(event);
    }
    return event;
  }

  private state(path: string): FolderState {
    let state = this.states.get(path);
    if (!state) {
      state = { generation: 0 };
      this.states.set(path, state);
    }
    return state;
  }

  /** Something the server just answered: the account works, its error goes. */
  private online(event: StoreEvent): void {
    if (this.accountFailure) {
      this.accountFailure = undefined;
      event.account = true;
    }
  }

  private setFolders(tree: FolderInfo[], source: 'cache' | 'server', asked: number, event: StoreEvent): void {
    if ((source === 'cache' && this.folderTree) || (source === 'server' && asked < this.foldersAsked)) {
      return;
    }
    if (source === 'server') {
      this.foldersAsked = asked;
    }
    const before = JSON.stringify(this.folderTree?.map(shape));
    this.folderTree = tree;
    this.treeNames = undefined;
    this.folderSource = source === 'server' || this.folderSource === 'server' ? 'server' : 'cache';
    const flat = flattenFolders(tree);
    const previous = this.byPath;
    this.byPath = new Map(flat.map((f) => [f.path, f]));
    if (before !== JSON.stringify(tree.map(shape))) {
      event.account = true;
    }
    for (const folder of flat) {
      const old = previous.get(folder.path);
      if (old && (old.name !== folder.name || old.subscribed !== folder.subscribed || old.specialUse !== folder.specialUse)) {
        event.folders.add(folder.path);
      }
      if (folder.unseen !== undefined || folder.total !== undefined) {
        // the cache's counts are a guess, shown only until the server says
        this.setCount(folder.path, folder, source === 'cache' ? 0 : asked, event);
      }
    }
    // a folder the server no longer lists (deleted, renamed) takes its window with it
    for (const path of [...this.states.keys()]) {
      if (!this.byPath.has(path)) {
        this.states.delete(path);
        this.counts.delete(path);
      }
    }
    if (source === 'server') {
      this.online(event);
    }
  }

  private setCount(path: string, value: { unseen?: number; total?: number }, asked: number, event: StoreEvent): void {
    const count = this.counts.get(path);
    if (count && count.ticket > asked) {
      return;
    }
    const unseen = value.unseen ?? count?.unseen;
    const total = value.total ?? count?.total;
    this.counts.set(path, { unseen, total, ticket: asked });
    if (count?.unseen !== unseen || count?.total !== total) {
      event.folders.add(path);
      event.counts.add(path);
    }
  }

  /** Our own action moved a count by what we know it did; anything asked before it is now stale. */
  private moveCount(path: string, unseen: number, total: number, event: StoreEvent): void {
    const count = this.counts.get(path);
    if (!count || (!unseen && !total)) {
      return;
    }
    this.setCount(path, {
      ...(count.unseen !== undefined ? { unseen: Math.max(0, count.unseen + unseen) } : {}),
      ...(count.total !== undefined ? { total: Math.max(0, count.total + total) } : {}),
    }, this.ticket(), event);
  }

  private windowChanged(path: string, change: FolderChange, source: ChangeSource, event: StoreEvent, rowsMoved: boolean, older = false): void {
    if (isEmptyChange(change)) {
      return;
    }
    event.changes.push({ path, change, source, ...(older ? { older } : {}) });
    if (rowsMoved || change.added.length || change.removed.length) {
      event.folders.add(path);
    } else {
      event.messages.set(path, [...(event.messages.get(path) ?? []), ...change.flagged.map((f) => f.uid)]);
    }
  }

  private drop(path: string, event: StoreEvent): void {
    const state = this.state(path);
    const window = state.window;
    state.window = undefined;
    state.generation++;
    if (window) {
      event.folders.add(path);
      event.changes.push({ path, change: { ...emptyChange(), reset: true, removed: [...window.messages] }, source: 'server' });
    }
  }

  private fail(path: string | undefined, error: MailError, event: StoreEvent): void {
    if (path !== undefined) {
      const state = this.state(path);
      state.error = error;
      event.folders.add(path);
    }
    if (path === undefined || isAccountError(error)) {
      if (this.accountFailure?.code !== error.code || this.accountFailure.message !== error.message) {
        this.accountFailure = error;
        event.account = true;
      }
    }
  }
}

/** What a folder row shows of the list (counts are kept apart): a change here redraws the account's rows. */
function shape(folder: FolderInfo): unknown {
  return [folder.path, folder.name, folder.selectable, folder.subscribed, folder.specialUse, folder.children.map(shape)];
}
