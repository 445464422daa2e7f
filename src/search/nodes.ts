// Rows of the Search view: a search's result ("Search: from:dana is:unread"), the saved searches
// with their unread counts, a folder shown as conversations, and the message rows under them. Each
// message row is also a MessageRef (accountId, path, uid, uidValidity), so the triage commands
// (flag, move, delete...) take it from a context menu as they take a message of the Mail view.
import * as vscode from 'vscode';
import { type MessageSummary } from '../core/mail/headers';
import { type SavedSearch } from '../core/search/saved';
import { type SearchHit } from '../core/search/results';
import { type SearchRun } from '../core/search/run';
import { type Conversation, conversationSubject, participants, unreadCount } from '../core/threads/conversations';
import { type ThreadMethod } from '../core/threads/serverThread';
import { formatAddresses, formatSize, plainLabel, senderName } from '../core/text';
import { dates } from '../util/dates';
import { configuredLead, messageRowText } from '../tree/nodes';
import { setTreeText, t, treeItem, uiFolder, uiJoin, uiLines, uiPlain, type UiText } from '../util/ui';

export abstract class SearchTreeNode {
  constructor(readonly parent: SearchTreeNode | undefined) {}
  abstract treeItem(): vscode.TreeItem;
}

/** What a result row needs to know about its account (the folder delimiter to show a path). */
export interface FolderLabel {
  (accountId: string, path: string): UiText;
}

/** A search as it runs or ran: its rows, progress, Load more. Saved searches are the same node with `saved`. */
export class ResultNode extends SearchTreeNode {
  run: SearchRun | undefined;
  /** The unread count of a saved search (countUnread), or why it could not be counted. */
  count: { unread: number; exact: boolean } | 'counting' | 'failed' | undefined;
  /** A parse or scope error of a saved search's query (the row says it instead of rows). */
  error: string | undefined;

  constructor(
    parent: SearchTreeNode | undefined,
    readonly query: string,
    readonly origin: { accountId: string; path?: string } | undefined,
    readonly saved: SavedSearch | undefined,
    readonly key: string,
  ) {
    super(parent);
  }

  treeItem(): vscode.TreeItem {
    const label = this.saved ? uiPlain(this.saved.name) : t('Search: {0}', uiPlain(this.query, 300));
    const item = treeItem(label, this.saved ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded);
    item.id = `search:${this.key}`;
    item.iconPath = new vscode.ThemeIcon(this.saved ? 'bookmark' : 'search');
    const results = this.run?.results;
    let description: UiText | undefined;
    if (this.error) {
      description = t('query error');
    } else if (results && !results.finished) {
      const { done, total } = results.progress;
      description = t('searching {0} of {1} folders...', done, total);
    } else if (results) {
      description = uiJoin([
        results.exact ? t('{0} found', results.count) : t('at most {0} found', results.count),
        results.cancelled ? t('cancelled') : undefined,
        results.failures.length ? t('{0} folders failed', results.failures.length) : undefined,
      ], ', ');
    }
    if (this.saved && this.count !== undefined && !(results && !results.finished)) {
      const count = this.count === 'counting' ? t('counting...') : this.count === 'failed' ? t('count failed') : this.count.exact ? t('{0} unread', this.count.unread) : t('at most {0} unread', this.count.unread);
      description = this.run ? uiJoin([count, description], ' · ') : count;
    }
    setTreeText(item, {
      description,
      tooltip: uiJoin([this.saved ? t('Saved search: {0}', uiPlain(this.saved.query, 500)) : uiPlain(this.query, 500), this.error ? uiPlain(this.error, 500) : undefined], '\n'),
      accessibilityLabel: uiJoin([label, description], ', '),
    });
    const state = results && !results.finished ? 'running' : 'done';
    item.contextValue = `search:${state}${this.saved ? ':saved' : ''}`;
    return item;
  }
}

/** The group of saved searches that belong to no account in particular, or all of them. */
export class SavedGroupNode extends SearchTreeNode {
  constructor() {
    super(undefined);
  }

  treeItem(): vscode.TreeItem {
    const item = treeItem(t('Saved Searches'), vscode.TreeItemCollapsibleState.Expanded);
    item.id = 'saved-searches';
    item.iconPath = new vscode.ThemeIcon('bookmark');
    item.contextValue = 'savedSearches';
    return item;
  }
}

const ICONS = (m: MessageSummary): vscode.ThemeIcon => {
  const flags = new Set(m.flags.map((f) => f.toLowerCase()));
  if (flags.has('\\deleted')) {
    return new vscode.ThemeIcon('trash', new vscode.ThemeColor('disabledForeground'));
  }
  if (flags.has('\\flagged')) {
    return new vscode.ThemeIcon('star-full', new vscode.ThemeColor('charts.orange'));
  }
  if (!flags.has('\\seen')) {
    return new vscode.ThemeIcon('mail', new vscode.ThemeColor('charts.blue'));
  }
  return new vscode.ThemeIcon(flags.has('\\answered') ? 'reply' : 'mail-read');
};

/** A message of a result or of a conversation; a MessageRow (and a MessageRef) for the triage commands. */
export class HitNode extends SearchTreeNode {
  constructor(
    parent: SearchTreeNode,
    readonly accountId: string,
    readonly path: string,
    readonly uidValidity: string | undefined,
    public summary: MessageSummary,
    private readonly folderLabel: UiText,
    private readonly showFolder: boolean,
  ) {
    super(parent);
  }

  static of(parent: SearchTreeNode, hit: SearchHit, folderLabel: FolderLabel): HitNode {
    return new HitNode(parent, hit.accountId, hit.path, hit.uidValidity, hit.message, folderLabel(hit.accountId, hit.path), true);
  }

  get uid(): number {
    return this.summary.uid;
  }

  get ref(): { accountId: string; path: string; uid: number; uidValidity?: string; messageId?: string } {
    return { accountId: this.accountId, path: this.path, uid: this.uid, ...(this.uidValidity ? { uidValidity: this.uidValidity } : {}), ...(this.summary.messageId ? { messageId: this.summary.messageId } : {}) };
  }

  treeItem(): vscode.TreeItem {
    const m = this.summary;
    const flags = new Set(m.flags.map((f) => f.toLowerCase()));
    const unread = !flags.has('\\seen');
    const flagged = flags.has('\\flagged');
    // led as the Mail view's rows are (imapExplorer.messageRow.lead)
    const { label, details, date } = messageRowText(m, configuredLead());
    const item = treeItem(label, vscode.TreeItemCollapsibleState.None);
    const parentKey = this.parent?.treeItem().id ?? '';
    item.id = `${parentKey}/hit:${this.accountId}:${this.path}:${this.uidValidity ?? ''}:${m.uid}`;
    // as the Mail view's rows, with the folder first: at the default sidebar width the end of a
    // description is cut, and which folder a hit is in matters more than its date
    setTreeText(item, {
      description: uiJoin([this.showFolder ? this.folderLabel : undefined, ...details.filter(Boolean).map((d) => uiPlain(d)), m.hasAttachment ? uiPlain('📎') : undefined], ' · '),
      tooltip: uiLines([
        `${vscode.l10n.t('Subject')}: ${plainLabel(m.subject, 500) || vscode.l10n.t('(no subject)')}`,
        `${vscode.l10n.t('From')}: ${formatAddresses(m.from)}`,
        `${vscode.l10n.t('To')}: ${formatAddresses(m.to) || '-'}`,
        `${vscode.l10n.t('Date')}: ${dates().full(m.date)}`,
        `${vscode.l10n.t('Folder')}: ${this.folderLabel}`,
        `${vscode.l10n.t('Size')}: ${formatSize(m.size)}`,
        [unread ? vscode.l10n.t('Unread') : '', flagged ? vscode.l10n.t('Flagged') : ''].filter(Boolean).join(', '),
      ].filter(Boolean).join('\n'), 4000),
      accessibilityLabel: uiPlain(`${unread ? 'Unread. ' : ''}${flagged ? 'Flagged. ' : ''}${plainLabel(m.subject)}, from ${senderName(m.from)}, ${date}, in ${this.folderLabel}`, 600),
    });
    item.iconPath = ICONS(m);
    // the same context value as the Mail view's message rows: their triage menus apply here too
    item.contextValue = ['message', unread ? 'unread' : 'read', flagged ? 'flagged' : '', flags.has('\\answered') ? 'answered' : '', m.hasAttachment ? 'attachment' : ''].filter(Boolean).join(':');
    // no arguments (they die with a refresh): the command reads the view's selection
    item.command = { command: 'imapExplorer.openSearchResult', title: vscode.l10n.t('Open Message') };
    return item;
  }
}

/** "Load more..." under a result. */
export class ResultMoreNode extends SearchTreeNode {
  constructor(readonly result: ResultNode | ConversationsNode | SortedFolderNode, private readonly shown: number) {
    super(result);
  }

  treeItem(): vscode.TreeItem {
    const item = treeItem(t('Load more...'), vscode.TreeItemCollapsibleState.None);
    item.id = `${this.result.treeItem().id}/more:${this.shown}`;
    setTreeText(item, { description: t('{0} shown', this.shown) });
    item.iconPath = new vscode.ThemeIcon('fold-down');
    item.contextValue = 'searchMore';
    item.command = { command: 'imapExplorer.searchLoadMore', title: vscode.l10n.t('Load More') };
    return item;
  }
}

/** A line of text under a node: a folder that failed, "No messages match", a hint. */
export class NoteNode extends SearchTreeNode {
  constructor(
    parent: SearchTreeNode | undefined,
    private readonly text: UiText,
    /** What the note is about (loading, error, none, failed:<account>:<folder>). */
    readonly key: string,
    private readonly icon = 'info',
    private readonly tooltip?: UiText,
  ) {
    super(parent);
  }

  treeItem(): vscode.TreeItem {
    const item = treeItem(this.text, vscode.TreeItemCollapsibleState.None);
    // no id: a note is a passing row ("Threading...", "Searching...") with nothing to keep across
    // redraws, and VS Code refuses an id that two overlapping fetches of the same node both return
    // ("Element with id ... is already registered", seen after a window reload)
    item.iconPath = new vscode.ThemeIcon(this.icon, this.icon === 'error' ? new vscode.ThemeColor('errorForeground') : undefined);
    setTreeText(item, { tooltip: this.tooltip ?? this.text });
    item.contextValue = 'searchNote';
    return item;
  }
}

/** A folder shown as conversations: "Conversations: INBOX". */
export class ConversationsNode extends SearchTreeNode {
  conversations: Conversation[] | undefined;
  method: ThreadMethod | undefined;
  fromSent = 0;
  loading = false;
  error: string | undefined;
  /** How many messages of the folder the conversations are built over (grows with Load more). */
  window: number;

  constructor(
    readonly accountId: string,
    readonly path: string,
    private readonly folderLabel: UiText,
    pageSize: number,
  ) {
    super(undefined);
    this.window = pageSize;
  }

  treeItem(): vscode.TreeItem {
    const item = treeItem(t('Conversations: {0}', this.folderLabel), vscode.TreeItemCollapsibleState.Expanded);
    item.id = `conversations:${this.accountId}:${this.path}`;
    item.iconPath = new vscode.ThemeIcon('comment-discussion');
    const how = this.method === undefined ? undefined : this.method === 'client' ? t('threaded here (JWZ)') : t('THREAD={0} on the server', uiPlain(this.method));
    setTreeText(item, {
      description: this.loading ? t('threading...') : this.error ? t('failed') : this.conversations ? uiJoin([t('{0} conversations', this.conversations.length), how], ' · ') : undefined,
      tooltip: uiJoin([t('The newest {0} messages of {1}, grouped by Message-ID, In-Reply-To and References (never by subject alone)', this.window, this.folderLabel), this.fromSent ? t('{0} replies found in Sent', this.fromSent) : undefined, this.error ? uiPlain(this.error, 500) : undefined], '\n'),
    });
    item.contextValue = 'conversations';
    return item;
  }
}

/** One conversation: its newest subject, who takes part, how many messages, how many unread. */
export class ConversationNode extends SearchTreeNode {
  constructor(
    parent: ConversationsNode,
    readonly conversation: Conversation,
  ) {
    super(parent);
  }

  get owner(): ConversationsNode {
    return this.parent as ConversationsNode;
  }

  treeItem(): vscode.TreeItem {
    const c = this.conversation;
    const unread = unreadCount(c);
    const item = treeItem(uiPlain(conversationSubject(c)) || t('(no subject)'), c.messages.length > 1 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `${this.owner.treeItem().id}/conversation:${c.id}`;
    const who = participants(c);
    setTreeText(item, {
      description: uiJoin([uiPlain(who.slice(0, 3).join(', ') + (who.length > 3 ? ', …' : ''), 120), uiPlain(`· ${c.messages.length}`), unread ? t('· {0} unread', unread) : undefined], ' '),
      tooltip: uiJoin([uiPlain(conversationSubject(c), 500), t('{0} messages, {1} unread', c.messages.length, unread), uiPlain(who.join(', '), 1000)], '\n'),
      accessibilityLabel: uiJoin([uiPlain(conversationSubject(c)), t('{0} messages, {1} unread', c.messages.length, unread)], ', '),
    });
    item.iconPath = new vscode.ThemeIcon(unread ? 'comment-unresolved' : 'comment', unread ? new vscode.ThemeColor('charts.blue') : undefined);
    item.contextValue = `conversation${unread ? ':unread' : ''}`;
    // a click or Enter opens the whole conversation in one tab (the conversation view)
    item.command = { command: 'imapExplorer.openConversation', title: vscode.l10n.t('Open Conversation'), arguments: [this] };
    return item;
  }
}

export function folderText(path: string, delimiter: string | undefined): UiText {
  return uiFolder(path, delimiter);
}

/** A folder in another order: "INBOX by sender". */
export class SortedFolderNode extends SearchTreeNode {
  messages: MessageSummary[] | undefined;
  /** How the order was made: the server's SORT (paged or whole), or only the newest messages ordered here. */
  method: 'partial' | 'server' | 'window' | undefined;
  total = 0;
  loading = false;
  error: string | undefined;
  window: number;

  constructor(
    readonly accountId: string,
    readonly path: string,
    readonly key: 'date' | 'sender' | 'subject' | 'size',
    readonly folderLabel: UiText,
    pageSize: number,
  ) {
    super(undefined);
    this.window = pageSize;
  }

  treeItem(): vscode.TreeItem {
    const by = { date: t('date'), sender: t('sender'), subject: t('subject'), size: t('size') }[this.key];
    const item = treeItem(t('{0} by {1}', this.folderLabel, by), vscode.TreeItemCollapsibleState.Expanded);
    item.id = `sorted:${this.accountId}:${this.path}:${this.key}`;
    item.iconPath = new vscode.ThemeIcon('list-ordered');
    const how = this.method === undefined ? undefined : this.method === 'window' ? t('the newest {0} only: the server has no SORT', this.window) : t('sorted by the server (SORT)');
    setTreeText(item, {
      description: this.loading ? t('sorting...') : this.error ? t('failed') : how,
      tooltip: uiJoin([how, this.error ? uiPlain(this.error, 500) : undefined], '\n') || undefined,
    });
    item.contextValue = 'sortedFolder';
    return item;
  }
}
