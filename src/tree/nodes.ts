// The rows of the Mail view. A node is an identity (account, folder path, UIDVALIDITY + UID) and
// nothing else: what it shows is read from the account's store each time VS Code asks, so an
// old node never shows old data. The projection (provider.ts) keeps one node per id.
import * as vscode from 'vscode';
import { type AccountConfig, accountLabel } from '../core/account';
import { type MailError } from '../core/errors';
import { type FolderInfo, type SpecialUse } from '../core/mail/folders';
import { type MessageSummary } from '../core/mail/headers';
import { type MailStore } from '../core/mail/store';
import { formatAddresses, formatSize, plainLabel, senderName } from '../core/text';
import { dates } from '../util/dates';
import { setTreeText, t, treeItem, type UiText, uiFolder, uiFormat, uiJoin, uiLines, uiPlain } from '../util/ui';
import { patchRowKind } from '../core/workspace/patchMail';
import { markPatchRow } from '../workspace/treeMark';

/** What a screen reader hears first on a patch row, for the icon the eye sees. */
const PATCH_SPOKEN = { patch: 'Patch. ', series: 'Patch series. ', none: '' } as const;

export interface MessageRef {
  accountId: string;
  path: string;
  uid: number;
  uidValidity?: string;
  /**
   * The message's Message-ID (RFC 5322 3.6.4) when known: a message tab restored after a reload
   * finds its message by it when the UID is gone (a move and its undo give the message a new UID).
   */
  messageId?: string;
}

/** What nodes read when they draw themselves. */
export interface NodeContext {
  account(accountId: string): AccountConfig | undefined;
  store(accountId: string): MailStore | undefined;
  /** What leads a message row (`imapExplorer.messageRow.lead`). */
  lead(): 'subject' | 'sender';
  /** The folder's quick filters that are on, by name, in display order (none: empty). */
  filters(accountId: string, path: string): string[];
}

export abstract class TreeNode {
  constructor(
    protected readonly ctx: NodeContext,
    /** The TreeItem id: stable for as long as the thing exists. */
    readonly id: string,
    readonly parent: TreeNode | undefined,
  ) {}

  abstract treeItem(): vscode.TreeItem;

  protected item(label: UiText, collapsible = vscode.TreeItemCollapsibleState.None): vscode.TreeItem {
    const item = treeItem(label, collapsible);
    item.id = this.id;
    return item;
  }
}

export class AccountNode extends TreeNode {
  private last: AccountConfig;

  constructor(ctx: NodeContext, account: AccountConfig) {
    super(ctx, `account:${account.id}`, undefined);
    this.last = account;
  }

  get account(): AccountConfig {
    this.last = this.ctx.account(this.last.id) ?? this.last;
    return this.last;
  }

  treeItem(): vscode.TreeItem {
    const account = this.account;
    // the label alone: at the default sidebar width an address next to it would only be cut
    const item = this.item(uiPlain(accountLabel(account)), vscode.TreeItemCollapsibleState.Collapsed);
    setTreeText(item, {
      tooltip: uiLines(`${account.email}\n${account.imap.user} @ ${account.imap.host}:${account.imap.port} (${account.imap.security.toUpperCase()})`),
      accessibilityLabel: t('{0}, mail account', uiPlain(accountLabel(account))),
    });
    item.iconPath = new vscode.ThemeIcon('account');
    item.contextValue = 'account';
    return item;
  }
}

const FOLDER_ICONS: Record<SpecialUse, string> = {
  inbox: 'inbox',
  sent: 'send',
  drafts: 'edit',
  trash: 'trash',
  junk: 'circle-slash',
  archive: 'archive',
  flagged: 'star-full',
  all: 'mail',
};

export class FolderNode extends TreeNode {
  private last: FolderInfo;

  constructor(ctx: NodeContext, readonly accountId: string, folder: FolderInfo, parent: TreeNode) {
    super(ctx, `folder:${accountId}:${folder.path}`, parent);
    this.last = folder;
  }

  get path(): string {
    return this.last.path;
  }

  /** The folder as last listed. */
  get folder(): FolderInfo {
    this.last = this.ctx.store(this.accountId)?.folder(this.last.path) ?? this.last;
    return this.last;
  }

  get account(): AccountConfig {
    return this.ctx.account(this.accountId)!;
  }

  treeItem(): vscode.TreeItem {
    const folder = this.folder;
    const store = this.ctx.store(this.accountId);
    const expandable = folder.selectable || folder.children.length > 0;
    const name = uiPlain(folder.name) || uiPlain(folder.path);
    // a filtered folder says so in its label: its rows are not all its messages
    const filters = folder.selectable ? this.ctx.filters(this.accountId, folder.path) : [];
    const filtered = filters.length ? uiPlain(filters.join(', '), 200) : undefined;
    const item = this.item(filtered ? t('{0} · {1}', name, filtered) : name, expandable ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    const unseen = store?.unseen(folder.path) ?? 0;
    const total = store?.total(folder.path);
    const counts = folder.selectable && total !== undefined ? t('{0} messages, {1} unread', uiPlain(dates().count(total)), uiPlain(dates().count(unseen))) : undefined;
    setTreeText(item, {
      description: folder.selectable && unseen > 0 ? uiFormat('{0}', unseen) : undefined,
      tooltip: uiJoin([uiFolder(folder.path, folder.delimiter), counts, filtered ? t('Quick filter: {0} (only these messages are shown)', filtered) : undefined, folder.selectable ? undefined : t('(a container: it holds folders, not messages)')], '\n'),
      accessibilityLabel: folder.selectable ? uiJoin([t('{0}, {1} unread', uiPlain(folder.name), unseen), filtered ? t('filtered: {0}', filtered) : undefined], ', ') : uiPlain(folder.name),
    });
    // Not 'folder': VS Code takes that one for a file-kind icon, which the default file icon theme
    // does not draw, and then aligns the rows below with the twistie (left of this row's icon).
    item.iconPath = new vscode.ThemeIcon(folder.specialUse ? FOLDER_ICONS[folder.specialUse] : folder.selectable ? 'symbol-folder' : 'folder-library');
    item.contextValue = `folder:${folder.selectable ? 'selectable' : 'noselect'}:${folder.subscribed ? 'subscribed' : 'unsubscribed'}${folder.specialUse ? `:${folder.specialUse}` : ''}${filtered ? ':filtered' : ''}`;
    return item;
  }
}

export class MessageNode extends TreeNode {
  private last: MessageSummary;

  constructor(ctx: NodeContext, readonly folderNode: FolderNode, readonly uidValidity: string, summary: MessageSummary) {
    super(ctx, `message:${folderNode.accountId}:${folderNode.path}:${uidValidity}:${summary.uid}`, folderNode);
    this.last = summary;
  }

  /**
   * Headers from elsewhere than the folder's window (a quick filter's search found the message
   * outside the window): shown until the window holds the message.
   */
  seen(summary: MessageSummary): this {
    if (summary.uid === this.last.uid) {
      this.last = summary;
    }
    return this;
  }

  /** The headers as the store holds them (as last seen, once the message left the window). */
  get summary(): MessageSummary {
    const window = this.ctx.store(this.folderNode.accountId)?.window(this.folderNode.path);
    this.last = (window?.uidValidity === this.uidValidity ? window.find(this.last.uid) : undefined) ?? this.last;
    return this.last;
  }

  /** With `path`, `uidValidity` and `summary`: a MessageRow for the triage commands (as a Search view hit). */
  get accountId(): string {
    return this.folderNode.accountId;
  }

  get path(): string {
    return this.folderNode.path;
  }

  get ref(): MessageRef {
    return { accountId: this.folderNode.accountId, path: this.folderNode.path, uid: this.last.uid, uidValidity: this.uidValidity, ...(this.last.messageId ? { messageId: this.last.messageId } : {}) };
  }

  get account(): AccountConfig {
    return this.folderNode.account;
  }

  treeItem(): vscode.TreeItem {
    const m = this.summary;
    const flags = new Set(m.flags.map((f) => f.toLowerCase()));
    const unread = !flags.has('\\seen');
    const flagged = flags.has('\\flagged');
    const answered = flags.has('\\answered');
    const deleted = flags.has('\\deleted');
    const keywords = keywordsOf(m.flags);
    const { label, details, subject, sender, date } = messageRowText(m, this.ctx.lead());
    const item = this.item(label);
    setTreeText(item, {
      description: uiPlain([...details, deleted ? vscode.l10n.t('(deleted)') : '', m.hasAttachment ? '📎' : '', keywords.map((k) => plainLabel(k, 30)).join(', ')].filter(Boolean).join(' · '), 400),
      tooltip: uiLines(
        [
          `${vscode.l10n.t('Subject')}: ${plainLabel(m.subject, 500) || vscode.l10n.t('(no subject)')}`,
          `${vscode.l10n.t('From')}: ${formatAddresses(m.from)}`,
          `${vscode.l10n.t('To')}: ${formatAddresses(m.to) || '-'}`,
          m.cc.length ? `${vscode.l10n.t('Cc')}: ${formatAddresses(m.cc)}` : '',
          `${vscode.l10n.t('Date')}: ${dates().full(m.date)}`,
          m.internalDate && m.date && Math.abs(m.internalDate.getTime() - m.date.getTime()) > 60_000 ? `${vscode.l10n.t('Arrived')}: ${dates().full(m.internalDate)}` : '',
          `${vscode.l10n.t('Size')}: ${formatSize(m.size)}${m.hasAttachment ? ` · ${vscode.l10n.t('has attachments')}` : ''}`,
          [unread ? vscode.l10n.t('Unread') : '', flagged ? vscode.l10n.t('Flagged') : '', answered ? vscode.l10n.t('Answered') : '', deleted ? vscode.l10n.t('Marked deleted (not yet expunged)') : ''].filter(Boolean).join(', '),
          keywords.length ? `${vscode.l10n.t('Keywords')}: ${keywords.map((k) => plainLabel(k, 60)).join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('\n'),
        4000,
      ),
      accessibilityLabel: uiPlain(`${PATCH_SPOKEN[patchRowKind(m) ?? 'none']}${unread ? 'Unread. ' : ''}${flagged ? 'Flagged. ' : ''}${subject}, from ${sender}, ${date}${m.hasAttachment ? ', has attachments' : ''}`, 600),
    });
    if (deleted) {
      item.iconPath = new vscode.ThemeIcon('trash', new vscode.ThemeColor('disabledForeground'));
    } else if (flagged) {
      item.iconPath = new vscode.ThemeIcon('star-full', new vscode.ThemeColor('charts.orange'));
    } else if (unread) {
      item.iconPath = new vscode.ThemeIcon('mail', new vscode.ThemeColor('charts.blue'));
    } else if (answered) {
      item.iconPath = new vscode.ThemeIcon('reply');
    } else {
      item.iconPath = new vscode.ThemeIcon('mail-read');
    }
    item.contextValue = ['message', unread ? 'unread' : 'read', flagged ? 'flagged' : '', answered ? 'answered' : '', m.hasAttachment ? 'attachment' : ''].filter(Boolean).join(':');
    markPatchRow(item, m, { unread, flagged, deleted });
    // No arguments: VS Code keeps command arguments only as long as the row's current item, and a
    // click that lands while the row is redrawn would find none. The command reads the selection
    // (VS Code sends it before running the command).
    item.command = { command: 'imapExplorer.openMessage', title: vscode.l10n.t('Open Message') };
    return item;
  }
}

/** `imapExplorer.messageRow.lead`: what leads a message row in the Mail and the Search view. */
export function configuredLead(): 'subject' | 'sender' {
  return vscode.workspace.getConfiguration('imapExplorer').get<'subject' | 'sender'>('messageRow.lead', 'subject');
}

/**
 * A message row's label and the details that follow it in its description, for both views.
 * Led by the sender (for a narrow sidebar), the date comes right after it and the name is cut
 * short enough for the date to stay on screen; led by the subject, the sender and the date follow.
 */
export function messageRowText(m: MessageSummary, lead: 'subject' | 'sender'): { label: UiText; details: string[]; subject: string; sender: string; date: string } {
  const subject = plainLabel(m.subject) || vscode.l10n.t('(no subject)');
  const sender = senderName(m.from);
  const date = dates().short(m.date ?? m.internalDate);
  const bySender = lead === 'sender';
  return { label: uiPlain(bySender ? plainLabel(sender, 18) : subject), details: bySender ? [date, subject] : [sender, date], subject, sender, date };
}

/** User keywords of a message: every flag that is not a system flag (\\Seen...) nor $Forwarded-like noise. */
export function keywordsOf(flags: readonly string[]): string[] {
  return flags.filter((f) => !f.startsWith('\\') && !/^\$(?:MDNSent|Forwarded|Junk|NotJunk|Phishing|SubmitPending|Submitted)$/i.test(f));
}

export class LoadMoreNode extends TreeNode {
  constructor(ctx: NodeContext, readonly folderNode: FolderNode) {
    super(ctx, `more:${folderNode.accountId}:${folderNode.path}`, folderNode);
  }

  treeItem(): vscode.TreeItem {
    const window = this.ctx.store(this.folderNode.accountId)?.window(this.folderNode.path);
    const item = this.item(t('Load more...'));
    const shown = uiPlain(dates().count(window?.size ?? 0));
    const total = uiPlain(dates().count(window?.total ?? 0));
    setTreeText(item, { description: t('{0} of {1} shown', shown, total), accessibilityLabel: t('Load more... {0} of {1} shown', shown, total) });
    item.iconPath = new vscode.ThemeIcon('fold-down');
    item.contextValue = 'loadMore';
    item.command = { command: 'imapExplorer.loadMore', title: vscode.l10n.t('Load More Messages') };
    return item;
  }
}

/** "Load more..." under a filtered folder: the next page of its quick filter's matches. */
export class FilterMoreNode extends TreeNode {
  constructor(
    ctx: NodeContext,
    readonly folderNode: FolderNode,
    private readonly shown: () => { shown: number; total: number },
  ) {
    super(ctx, `filtermore:${folderNode.accountId}:${folderNode.path}`, folderNode);
  }

  treeItem(): vscode.TreeItem {
    const { shown, total } = this.shown();
    const item = this.item(t('Load more...'));
    const a = uiPlain(dates().count(shown));
    const b = uiPlain(dates().count(total));
    setTreeText(item, { description: t('{0} of {1} matches shown', a, b), accessibilityLabel: t('Load more... {0} of {1} matches shown', a, b) });
    item.iconPath = new vscode.ThemeIcon('fold-down');
    item.contextValue = 'loadMore';
    item.command = { command: 'imapExplorer.loadMore', title: vscode.l10n.t('Load More Messages') };
    return item;
  }
}

/** A row that says what is not there yet or why: "Loading...", "No messages", "Sign in". */
export class NoticeNode extends TreeNode {
  constructor(
    ctx: NodeContext,
    parent: TreeNode,
    kind: string,
    private readonly text: () => { label: UiText; icon: string; tooltip?: UiText; command?: vscode.Command },
  ) {
    super(ctx, `${kind}:${parent.id}`, parent);
  }

  treeItem(): vscode.TreeItem {
    const { label, icon, tooltip, command } = this.text();
    const item = this.item(label);
    setTreeText(item, { tooltip, accessibilityLabel: label });
    item.iconPath = new vscode.ThemeIcon(icon);
    item.contextValue = 'notice';
    item.command = command;
    return item;
  }
}

export interface RowAction {
  label: string;
  command: string;
  args: unknown[];
}

/** An error shown where the content would be: "Authentication failed - Edit account". */
export class ErrorNode extends TreeNode {
  constructor(
    ctx: NodeContext,
    parent: AccountNode | FolderNode,
    /** The error to show now (the account's, or the folder's own). */
    private readonly current: () => MailError | undefined,
  ) {
    super(ctx, `error:${parent.id}`, parent);
  }

  get error(): MailError | undefined {
    return this.current();
  }

  treeItem(): vscode.TreeItem {
    const error = this.current();
    const parent = this.parent as AccountNode | FolderNode;
    const accountId = parent instanceof AccountNode ? parent.account.id : parent.accountId;
    const retry = parent instanceof FolderNode
      ? { label: vscode.l10n.t('Retry'), command: 'imapExplorer.refresh', args: [] }
      : { label: vscode.l10n.t('Retry'), command: 'imapExplorer.retryAccount', args: [accountId] };
    const action = error ? actionFor(error, accountId, retry) : retry;
    const item = this.item(uiPlain(`${error ? headline(error) : ''} - ${action.label}`));
    setTreeText(item, {
      tooltip: !error ? undefined : error.details.serverText ? t('{0}\nServer said: {1}', uiPlain(error.message, 1000), uiPlain(error.details.serverText, 500)) : uiPlain(error.message, 1000),
      accessibilityLabel: uiPlain(`${error ? headline(error) : ''} - ${action.label}. ${error?.message ?? ''}`, 400),
    });
    item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    item.contextValue = 'error';
    // a folder's Retry runs on the selection (this row's folder), like every row command
    item.command = { command: action.command, title: action.label, ...(action.args.length ? { arguments: action.args } : {}) };
    return item;
  }
}

export function headline(error: MailError): string {
  switch (error.code) {
    case 'AUTH_FAILED':
      return vscode.l10n.t('Authentication failed');
    case 'NO_PASSWORD':
      return vscode.l10n.t('No password stored');
    case 'SIGN_IN_REQUIRED':
      return vscode.l10n.t('Signed out');
    case 'TOKEN_REJECTED':
      return vscode.l10n.t('Sign-in not accepted');
    case 'COMMAND_FAILED':
      return vscode.l10n.t('Sign-in command failed');
    case 'TLS_UNTRUSTED':
      return error.details.certificate?.selfSigned ? vscode.l10n.t('Self-signed certificate') : vscode.l10n.t('Certificate not trusted');
    case 'TLS_HOSTNAME':
      return vscode.l10n.t('Certificate is for another host');
    case 'TLS_EXPIRED':
      return vscode.l10n.t('Certificate expired');
    case 'TLS_PIN_MISMATCH':
      return vscode.l10n.t('Certificate changed');
    case 'TLS_NOT_TLS':
      return vscode.l10n.t('Port does not speak TLS');
    case 'TLS_FAILED':
      return vscode.l10n.t('TLS handshake failed');
    case 'STARTTLS_UNAVAILABLE':
      return vscode.l10n.t('Server does not offer STARTTLS');
    case 'LOGIN_DISABLED':
      return vscode.l10n.t('Login needs an encrypted connection');
    case 'SERVER_NO':
      return vscode.l10n.t('Server refused');
    case 'NOT_FOUND':
      return vscode.l10n.t('Not found');
    default:
      return vscode.l10n.t('Cannot connect');
  }
}

/** The one action that fixes an error, for its row. */
export function actionFor(error: MailError, accountId: string, retry: RowAction): RowAction {
  switch (error.code) {
    case 'AUTH_FAILED':
    case 'STARTTLS_UNAVAILABLE':
    case 'LOGIN_DISABLED':
    case 'TLS_PIN_MISMATCH':
    case 'TLS_NOT_TLS':
      return { label: vscode.l10n.t('Edit account'), command: 'imapExplorer.editAccount', args: [accountId] };
    case 'NO_PASSWORD':
      return { label: vscode.l10n.t('Enter password'), command: 'imapExplorer.enterPassword', args: [accountId] };
    case 'SIGN_IN_REQUIRED':
      return { label: vscode.l10n.t('Sign in again'), command: 'imapExplorer.signIn', args: [accountId] };
    case 'TOKEN_REJECTED':
      // a token for the wrong scope or user, or a mailbox without IMAP: the settings must change;
      // anything else is fixed by a new sign-in
      return error.details.sasl && ['scope', 'user', 'disabled'].includes(error.details.sasl.reason)
        ? { label: vscode.l10n.t('Edit account'), command: 'imapExplorer.editAccount', args: [accountId] }
        : { label: vscode.l10n.t('Sign in again'), command: 'imapExplorer.signIn', args: [accountId] };
    case 'COMMAND_FAILED':
      return { label: vscode.l10n.t('Edit account'), command: 'imapExplorer.editAccount', args: [accountId] };
    case 'TLS_UNTRUSTED':
    case 'TLS_HOSTNAME':
      return error.details.certificate
        ? { label: vscode.l10n.t('Review certificate'), command: 'imapExplorer.trustCertificate', args: [accountId] }
        : { label: vscode.l10n.t('Edit account'), command: 'imapExplorer.editAccount', args: [accountId] };
    default:
      return retry;
  }
}
