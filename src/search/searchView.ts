// The Search view (in the Mail container, shown once there is something in it): running and
// finished searches, the saved searches of `imapExplorer.savedSearches` with their unread counts,
// and folders shown as conversations. A thin projection of the core's SearchRun, countUnread and
// buildConversations; the search connections are each account's capped pool (SessionPool.searchPool).
import * as vscode from 'vscode';
import { type AccountStore } from '../accounts/accountStore';
import { type SessionPool } from '../accounts/sessions';
import { toMailError } from '../core/errors';
import { type FolderInfo, flattenFolders, listFolders } from '../core/mail/folders';
import { type MessageSummary } from '../core/mail/headers';
import { type ParsedQuery, parseQuery, QueryError } from '../core/search/query';
import { SearchRun } from '../core/search/run';
import { countUnread, readSavedSearches, type SavedSearch } from '../core/search/saved';
import { type FolderRef, resolveScope, type SearchOrigin } from '../core/search/scope';
import { type SortKey, sortAll, sortMethod, sortPage, sortWindow } from '../core/mail/sort';
import { fetchSummaries } from '../core/search/folderSearch';
import { buildConversations, fetchWindow, findReplies, windowConversations } from '../core/threads/conversations';
import { type StoreEvent } from '../core/mail/store';
import { type MailModel } from '../tree/model';
import { Disposable } from '../util/dispose';
import { t, uiPlain, type UiText } from '../util/ui';
import { ConversationNode, ConversationsNode, HitNode, NoteNode, ResultMoreNode, ResultNode, SavedGroupNode, type SearchTreeNode, SortedFolderNode } from './nodes';

export const SEARCH_VIEW = 'imapExplorer.search';
const MAX_RESULTS = 5;
const CONVERSATIONS_KEY = 'imapExplorer.conversationFolders';

export class SearchViewProvider extends Disposable implements vscode.TreeDataProvider<SearchTreeNode> {
  private readonly changed = this._register(new vscode.EventEmitter<SearchTreeNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  /** Searches run this session, newest first. */
  private results: ResultNode[] = [];
  private saved: ResultNode[] = [];
  private conversations: ConversationsNode[] = [];
  private sorted: SortedFolderNode[] = [];
  private readonly group = new SavedGroupNode();
  private serial = 0;
  private savedProblems: string[] = [];

  constructor(
    private readonly accounts: AccountStore,
    private readonly sessions: SessionPool,
    private readonly model: MailModel,
    private readonly log: vscode.LogOutputChannel,
    private readonly state?: vscode.Memento,
  ) {
    super();
    this.loadSaved();
    // folders shown as conversations stay so across restarts (threaded when first drawn)
    for (const f of state?.get<Array<{ accountId: string; path: string }>>(CONVERSATIONS_KEY, []) ?? []) {
      if (typeof f?.accountId === 'string' && typeof f?.path === 'string' && accounts.get(f.accountId)) {
        this.conversations.push(new ConversationsNode(f.accountId, f.path, this.folderLabel(f.accountId, f.path), this.pageSize()));
      }
    }
    this.updateVisibility();
    this._register(vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('imapExplorer.savedSearches')) {
        this.loadSaved();
      }
      if (e.affectsConfiguration('imapExplorer.messageRow')) {
        this.fire();
      }
    }));
    this._register({ dispose: () => [...this.results, ...this.saved].forEach((r) => r.run?.dispose()) });
  }

  // ---- the tree ----

  getTreeItem(node: SearchTreeNode): vscode.TreeItem {
    return node.treeItem();
  }

  getParent(node: SearchTreeNode): SearchTreeNode | undefined {
    return node.parent;
  }

  getChildren(node?: SearchTreeNode): SearchTreeNode[] {
    if (!node) {
      return [...this.results, ...(this.saved.length ? [this.group] : []), ...this.conversations, ...this.sorted];
    }
    if (node === this.group) {
      return this.saved;
    }
    if (node instanceof ResultNode) {
      return this.resultChildren(node);
    }
    if (node instanceof ConversationsNode) {
      return this.conversationChildren(node);
    }
    if (node instanceof SortedFolderNode) {
      if (node.error) {
        return [new NoteNode(node, uiPlain(node.error, 400), 'error', 'error')];
      }
      if (!node.messages) {
        return [new NoteNode(node, t('Sorting...'), 'loading', 'loading~spin')];
      }
      const rows: SearchTreeNode[] = node.messages.map((m) => new HitNode(node, node.accountId, node.path, undefined, m, node.folderLabel, false));
      if (node.method !== 'window' && node.messages.length < node.total) {
        rows.push(new ResultMoreNode(node, node.messages.length));
      }
      return rows;
    }
    if (node instanceof ConversationNode) {
      const owner = node.owner;
      return node.conversation.messages.map((m) => new HitNode(node, owner.accountId, m.path, undefined, m.message, this.folderLabel(owner.accountId, m.path), m.path !== owner.path));
    }
    return [];
  }

  private resultChildren(node: ResultNode): SearchTreeNode[] {
    if (node.error) {
      return [new NoteNode(node, uiPlain(node.error, 400), 'error', 'error')];
    }
    if (!node.run) {
      // a saved search runs when it is expanded
      this.startRun(node);
    }
    const run = node.run;
    if (!run) {
      return node.error ? [new NoteNode(node, uiPlain(node.error, 400), 'error', 'error')] : [];
    }
    const results = run.results;
    const rows: SearchTreeNode[] = results.rows().map((hit) => HitNode.of(node, hit, (a, p) => this.folderLabel(a, p)));
    if (results.hasMore) {
      rows.push(new ResultMoreNode(node, rows.length));
    }
    for (const failed of results.failures) {
      rows.push(new NoteNode(node, t('{0}: {1}', this.folderLabel(failed.accountId, failed.path), uiPlain(failed.error?.message ?? '', 300)), `failed:${failed.accountId}:${failed.path}`, 'error'));
    }
    if (!rows.length) {
      rows.push(results.finished ? new NoteNode(node, results.cancelled ? t('Cancelled before any message was found') : t('No messages match'), 'none') : new NoteNode(node, t('Searching...'), 'searching', 'loading~spin'));
    }
    return rows;
  }

  private conversationChildren(node: ConversationsNode): SearchTreeNode[] {
    if (node.error) {
      return [new NoteNode(node, uiPlain(node.error, 400), 'error', 'error')];
    }
    if (!node.conversations && !node.loading && !node.error) {
      // no event from inside getChildren: the "Threading..." row says it, and a refresh of the node
      // being fetched makes VS Code fetch its children twice at once
      void this.thread(node, { quiet: true });
    }
    if (!node.conversations) {
      return [new NoteNode(node, t('Threading...'), 'loading', 'loading~spin')];
    }
    const rows: SearchTreeNode[] = node.conversations.map((c) => new ConversationNode(node, c));
    if (!rows.length) {
      rows.push(new NoteNode(node, t('No messages'), 'none'));
    }
    return rows;
  }

  private updateVisibility(): void {
    void vscode.commands.executeCommand('setContext', 'imapExplorer.searchViewVisible', this.results.length + this.saved.length + this.conversations.length + this.sorted.length > 0);
  }

  private fire(node?: SearchTreeNode): void {
    this.changed.fire(node);
  }

  folderLabel(accountId: string, path: string): UiText {
    // named as the Mail tree names it (MailModel.folderName: no "INBOX." namespace prefix)
    const name = this.model.folderName(accountId, path);
    return this.accounts.all().length > 1 ? uiPlain(`${this.accounts.get(accountId)?.email ?? accountId} / ${name}`) : name;
  }

  // ---- searches ----

  private pageSize(): number {
    return Math.max(10, Math.min(500, vscode.workspace.getConfiguration('imapExplorer').get<number>('pageSize', 50)));
  }

  /** The folder list of an account: what the Mail view listed, else a LIST now. */
  private async folders(accountId: string): Promise<FolderInfo[]> {
    const known = this.model.knownFolders(accountId);
    if (known) {
      return known;
    }
    return this.sessions.get(accountId).run((client) => listFolders(client), { idempotent: true });
  }

  /**
   * The folders a query runs in from where it was started.
   * @throws QueryError for an in: that names no folder; a MailError when a folder list cannot be read
   */
  async scope(parsed: ParsedQuery, origin: SearchOrigin): Promise<FolderRef[]> {
    const ids = this.accounts.all().map((a) => a.id);
    const needed = origin && parsed.scope.type !== 'any' ? [origin.accountId] : ids;
    const lists = new Map<string, FolderInfo[]>();
    await Promise.all(needed.map(async (id) => lists.set(id, await this.folders(id))));
    return resolveScope(parsed.scope, origin, { accountIds: needed, folders: (id) => lists.get(id) });
  }

  /** Starts a search and shows it at the top of the view. Throws QueryError for a query that cannot run. */
  async search(query: string, origin: SearchOrigin): Promise<ResultNode> {
    const parsed = parseQuery(query);
    const refs = await this.scope(parsed, origin);
    const node = new ResultNode(undefined, parsed.text, origin, undefined, `r${++this.serial}`);
    this.begin(node, parsed, refs);
    for (const old of this.results.splice(MAX_RESULTS - 1)) {
      old.run?.dispose();
    }
    this.results.unshift(node);
    this.updateVisibility();
    this.fire();
    return node;
  }

  private startRun(node: ResultNode): void {
    let parsed: ParsedQuery;
    try {
      parsed = parseQuery(node.query);
    } catch (err) {
      node.error = err instanceof QueryError ? err.withColumn : String(err);
      return;
    }
    void this.scope(parsed, node.origin).then(
      (refs) => {
        this.begin(node, parsed, refs);
        this.fire(node);
      },
      (err) => {
        node.error = err instanceof QueryError ? err.withColumn : toMailError(err).message;
        this.fire(node);
      },
    );
  }

  private begin(node: ResultNode, parsed: ParsedQuery, refs: FolderRef[]): void {
    const run = new SearchRun(parsed, refs, { pool: (id) => this.sessions.searchPool(id), pageSize: this.pageSize() });
    node.run = run;
    run.onDidChange(() => this.fire(node));
    void run.start().then(() => {
      this.log.info(`Search "${parsed.text}" over ${refs.length} folder(s): ${run.results.count} found, first results after ${run.firstResultsMs ?? '-'} ms, all after ${run.finishedMs ?? '-'} ms.`);
    });
  }

  async loadMore(node: ResultNode | ConversationsNode | SortedFolderNode): Promise<void> {
    if (node instanceof ResultNode) {
      await node.run?.loadMore();
    } else if (node instanceof SortedFolderNode) {
      node.window += this.pageSize();
      await this.sort(node);
    } else {
      node.window += this.pageSize();
      await this.thread(node);
    }
  }

  /** The newest search of this session. */
  latest(): ResultNode | undefined {
    return this.results[0];
  }

  cancel(node: ResultNode): void {
    node.run?.cancel();
  }

  /** Closes a search (a saved one stays saved: its rows are dropped until it is expanded again). */
  close(node: ResultNode): void {
    node.run?.dispose();
    node.run = undefined;
    if (!node.saved) {
      this.results = this.results.filter((r) => r !== node);
    }
    this.updateVisibility();
    this.fire();
  }

  closeConversations(node: ConversationsNode | SortedFolderNode): void {
    this.conversations = this.conversations.filter((c) => c !== node);
    this.sorted = this.sorted.filter((c) => c !== node);
    this.rememberConversations();
    this.updateVisibility();
    this.fire();
  }

  // ---- saved searches ----

  /** Re-reads the setting; keeps the runs of saved searches that did not change. */
  private loadSaved(): void {
    const { searches, problems } = readSavedSearches(vscode.workspace.getConfiguration('imapExplorer').inspect<unknown>('savedSearches')?.globalValue);
    if (problems.join() !== this.savedProblems.join()) {
      this.savedProblems = problems;
      for (const p of problems) {
        this.log.warn(`imapExplorer.savedSearches: ${p}`);
      }
    }
    const previous = new Map(this.saved.map((n) => [savedKey(n.saved!), n]));
    this.saved = searches.map((s) => {
      const old = previous.get(savedKey(s));
      previous.delete(savedKey(s));
      if (old && old.saved!.name === s.name) {
        return old;
      }
      old?.run?.dispose();
      const node = new ResultNode(this.group, s.query, s.accountId ? { accountId: s.accountId } : undefined, s, `saved:${savedKey(s)}`);
      void this.count(node);
      return node;
    });
    for (const gone of previous.values()) {
      gone.run?.dispose();
    }
    this.updateVisibility();
    this.fire();
  }

  savedSearches(): SavedSearch[] {
    return this.saved.map((n) => n.saved!);
  }

  /** Counts the unread messages of a saved search (over its folders, in parallel). */
  async count(node: ResultNode): Promise<void> {
    if (!this.accounts.all().length) {
      return;
    }
    node.count = 'counting';
    this.fire(node);
    try {
      const parsed = parseQuery(node.query);
      const refs = await this.scope(parsed, node.origin);
      const counted = await countUnread(parsed, refs, (id) => this.sessions.searchPool(id));
      node.count = counted.failed === refs.length && refs.length ? 'failed' : { unread: counted.unread, exact: counted.exact };
    } catch (err) {
      node.count = 'failed';
      this.log.warn(`Cannot count saved search "${node.query}": ${err instanceof QueryError ? err.withColumn : toMailError(err).message}`);
    }
    this.fire(node);
  }

  /** Counts every saved search again (mail arrived, flags changed). */
  recount(): void {
    for (const node of this.saved) {
      void this.count(node);
    }
  }

  // ---- conversations ----

  /** Shows a folder as conversations (or shows it again, rebuilt). */
  async showConversations(accountId: string, path: string): Promise<ConversationsNode> {
    this.log.info(`Show ${path} as conversations.`);
    let node = this.conversations.find((c) => c.accountId === accountId && c.path === path);
    if (!node) {
      node = new ConversationsNode(accountId, path, this.folderLabel(accountId, path), this.pageSize());
      this.conversations.push(node);
      this.rememberConversations();
    }
    this.updateVisibility();
    this.fire();
    await this.thread(node);
    return node;
  }

  private rememberConversations(): void {
    void this.state?.update(CONVERSATIONS_KEY, this.conversations.map((c) => ({ accountId: c.accountId, path: c.path })));
  }

  shownConversations(): ConversationsNode[] {
    return this.conversations;
  }

  private async thread(node: ConversationsNode, options: { quiet?: boolean } = {}): Promise<void> {
    node.loading = true;
    node.error = undefined;
    if (!options.quiet) {
      this.fire(node);
    }
    const pool = this.sessions.searchPool(node.accountId);
    try {
      const folders = await this.folders(node.accountId).catch(() => [] as FolderInfo[]);
      const sent = flattenFolders(folders).find((f) => f.specialUse === 'sent' && f.selectable && f.path !== node.path);
      const page = await pool.use((session) => session.withMailbox(node.path, async (client, mailbox) => {
        const window = await fetchWindow(client, mailbox, node.window);
        // the window's own grouping shows at once; older members and Sent follow
        node.conversations = windowConversations(window).conversations;
        this.fire(node);
        return buildConversations(client, mailbox, window, {
          ...(sent ? { sent: (ids: string[]) => pool.use((s) => s.withMailbox(sent.path, (c) => findReplies(c, sent.path, ids), { readOnly: true, idempotent: true })) } : {}),
        });
      }, { readOnly: true, idempotent: true }));
      node.conversations = page.conversations;
      node.method = page.method;
      node.fromSent = page.fromSent;
      this.log.info(`Conversations of ${node.path}: ${page.conversations.length} over ${node.window} messages (${page.method}), ${page.older} older, ${page.fromSent} from Sent.`);
    } catch (err) {
      node.error = toMailError(err).message;
      this.log.warn(`Cannot show ${node.path} as conversations: ${node.error}`);
    }
    node.loading = false;
    this.fire(node);
  }

  // ---- sort ----

  /** Shows a folder sorted by date, sender, subject or size (replacing that folder's other order). */
  async showSorted(accountId: string, path: string, key: SortKey): Promise<SortedFolderNode> {
    this.sorted = this.sorted.filter((s) => !(s.accountId === accountId && s.path === path));
    const node = new SortedFolderNode(accountId, path, key, this.folderLabel(accountId, path), this.pageSize());
    this.sorted.push(node);
    this.updateVisibility();
    this.fire();
    await this.sort(node);
    return node;
  }

  /**
   * The first `node.window` messages of the folder in the node's order: with SORT the server's
   * order over the whole folder (paged with ESORT PARTIAL, else the sorted UID list), without it
   * the newest messages ordered here (and the row says so).
   */
  private async sort(node: SortedFolderNode): Promise<void> {
    node.loading = true;
    node.error = undefined;
    this.fire(node);
    try {
      const page = await this.sessions.searchPool(node.accountId).use((session) => session.withMailbox(node.path, async (client, mailbox) => {
        const method = sortMethod(client.capabilities);
        if (method === 'window') {
          const window = await fetchWindow(client, mailbox, node.window);
          return { method, total: window.length, messages: sortWindow(window.map((m) => m.message), node.key) };
        }
        const { uids, count } = method === 'partial' ? await sortPage(client, node.key, 1, node.window) : await sortAll(client, node.key).then((all) => ({ uids: all.slice(0, node.window), count: all.length }));
        const byUid = new Map((await fetchSummaries(client, uids)).map((m) => [m.uid, m]));
        return { method, total: count, messages: uids.flatMap((uid) => (byUid.has(uid) ? [byUid.get(uid)!] : [])) };
      }, { readOnly: true, idempotent: true }));
      node.messages = page.messages;
      node.method = page.method;
      node.total = page.total;
    } catch (err) {
      node.error = toMailError(err).message;
      this.log.warn(`Cannot sort ${node.path}: ${node.error}`);
    }
    node.loading = false;
    this.fire(node);
  }

  // ---- live updates from the mail store ----

  /**
   * What the mail store applied from the server (a resync, IDLE): results, conversations and
   * saved-search counts follow. A window loaded or dropped (`reset`) and the rows of "Load more"
   * (`older`) are no news about the messages themselves. Our own moves arrive through `removed`
   * (from triage) and our own flags through `ownFlags` (MailModel.onDidSetFlags): both also
   * reach folders whose window the Mail view has not loaded.
   */
  storeChanged(accountId: string, event: StoreEvent): void {
    for (const { path, change, source, older } of event.changes) {
      if (change.reset || source === 'cache') {
        continue;
      }
      // our own STOREs come through ownFlags, which also knows the folders whose window is not loaded
      if (source === 'server' && change.flagged.length) {
        const after = new Map(change.flagged.map((f) => [f.uid, f.after]));
        this.flagsChanged(accountId, path, [...after.keys()], (uid) => after.get(uid));
      }
      if (source === 'server' && change.removed.length) {
        this.removed(accountId, path, change.removed.map((m) => m.uid));
      }
      if (source === 'server' && !older && change.added.length) {
        this.arrived(accountId, path, change.added.map((m) => m.uid));
      }
    }
  }

  /** Messages left a folder: their rows go from every result. */
  removed(accountId: string, path: string, uids: number[]): void {
    for (const node of [...this.results, ...this.saved]) {
      node.run?.removed({ accountId, path }, uids);
    }
    if (this.saved.length) {
      this.recount();
    }
  }

  /**
   * Flags changed in a folder: rows of results, conversations and sorted folders show the new
   * flags. `next` gives a message's flags from the ones a row has (undefined: unknown, unchanged).
   */
  flagsChanged(accountId: string, path: string, uids: number[], next: (uid: number, before: readonly string[]) => string[] | undefined): void {
    const ref = { accountId, path };
    for (const node of [...this.results, ...this.saved]) {
      for (const uid of uids) {
        const hit = node.run?.results.find(ref, uid);
        const flags = hit && next(uid, hit.message.flags);
        if (flags) {
          node.run?.flagsChanged(ref, uid, flags);
        }
      }
    }
    const wanted = new Set(uids);
    const update = (message: MessageSummary): boolean => {
      const flags = wanted.has(message.uid) ? next(message.uid, message.flags) : undefined;
      if (!flags || (flags.length === message.flags.length && flags.every((f) => message.flags.includes(f)))) {
        return false;
      }
      message.flags = flags;
      return true;
    };
    for (const c of this.conversations) {
      const changed = c.accountId === accountId && (c.conversations ?? []).flatMap((conversation) => conversation.messages.filter((m) => m.path === path).map((m) => update(m.message))).some(Boolean);
      if (changed) {
        this.fire(c);
      }
    }
    for (const s of this.sorted) {
      if (s.accountId === accountId && s.path === path && (s.messages ?? []).map(update).some(Boolean)) {
        this.fire(s);
      }
    }
    if (this.saved.length) {
      this.recount();
    }
  }

  /** Our own STORE succeeded (open marks read, flag, undo...): in every view of the message. */
  ownFlags(accountId: string, path: string, uids: number[], flags: string[], on: boolean): void {
    this.flagsChanged(accountId, path, uids, (_uid, before) => (on ? [...new Set([...before, ...flags])] : before.filter((f) => !flags.includes(f))));
  }

  /** New mail in a folder: results whose scope has the folder check it against their query. */
  arrived(accountId: string, path: string, uids: number[]): void {
    for (const node of [...this.results, ...this.saved]) {
      void node.run?.arrived({ accountId, path }, uids);
    }
    if (this.saved.length) {
      this.recount();
    }
  }
}

function savedKey(s: Pick<SavedSearch, 'query' | 'accountId'>): string {
  return `${s.accountId ?? ''}\u0000${s.query}`;
}
