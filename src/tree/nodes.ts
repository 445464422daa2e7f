// The rows of the Mail view. A node is an identity (account, folder path, UIDVALIDITY + UID) and
// nothing else: what it shows is read from the account's store each time VS Code asks, so an
// old node never shows old data. The projection (provider.ts) keeps one node per id.
import * as vscode from 'vscode';
import { type AccountConfig, accountLabel } from '../core/account';
import { type MailError } from '../core/errors';
import { type FolderInfo, type SpecialUse } from '../core/mail/folders';
import { type MessageSummary } from '../core/mail/headers';
import { type MailStore } from '../core/mail/store';
import { formatAddresses, formatSize, fullDate, plainLabel, senderName, shortDate } from '../core/text';

export interface MessageRef {
  accountId: string;
  path: string;
  uid: number;
  uidValidity?: string;
}

/** What nodes read when they draw themselves. */
export interface NodeContext {
  account(accountId: string): AccountConfig | undefined;
  store(accountId: string): MailStore | undefined;
  /** What leads a message row (`imapExplorer.messageRow.lead`). */
  lead(): 'subject' | 'sender';
  /** VS Code's display language, for numbers. */
  locale(): string;
}

export abstract class TreeNode {
  constructor(
    protected readonly ctx: NodeContext,
    /** The TreeItem id: stable for as long as the thing exists. */
    readonly id: string,
    readonly parent: TreeNode | undefined,
  ) {}

  abstract treeItem(): vscode.TreeItem;

  protected item(label: string, collapsible = vscode.TreeItemCollapsibleState.None): vscode.TreeItem {
    const item = new vscode.TreeItem(label, collapsible);
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
    const item = this.item(plainLabel(accountLabel(account)), vscode.TreeItemCollapsibleState.Collapsed);
    item.tooltip = `${plainLabel(account.email)}\n${plainLabel(account.imap.user)} @ ${plainLabel(account.imap.host)}:${account.imap.port} (${account.imap.security.toUpperCase()})`;
    item.iconPath = new vscode.ThemeIcon('account');
    item.contextValue = 'account';
    item.accessibilityInformation = { label: vscode.l10n.t('{0}, mail account', String(item.label)) };
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
    const item = this.item(plainLabel(folder.name) || plainLabel(folder.path), expandable ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    const unseen = store?.unseen(folder.path) ?? 0;
    const total = store?.total(folder.path);
    item.description = folder.selectable && unseen > 0 ? String(unseen) : undefined;
    const counts = folder.selectable && total !== undefined ? `\n${vscode.l10n.t('{0} messages, {1} unread', total, unseen)}` : '';
    item.tooltip = `${plainLabel(folder.path)}${counts}${folder.selectable ? '' : `\n${vscode.l10n.t('(a container: it holds folders, not messages)')}`}`;
    // Not 'folder': VS Code takes that one for a file-kind icon, which the default file icon theme
    // does not draw, and then aligns the rows below with the twistie (left of this row's icon).
    item.iconPath = new vscode.ThemeIcon(folder.specialUse ? FOLDER_ICONS[folder.specialUse] : folder.selectable ? 'symbol-folder' : 'folder-library');
    item.contextValue = `folder:${folder.selectable ? 'selectable' : 'noselect'}:${folder.subscribed ? 'subscribed' : 'unsubscribed'}${folder.specialUse ? `:${folder.specialUse}` : ''}`;
    item.accessibilityInformation = { label: folder.selectable ? vscode.l10n.t('{0}, {1} unread', String(item.label), unseen) : String(item.label) };
    return item;
  }
}

export class MessageNode extends TreeNode {
  private last: MessageSummary;

  constructor(ctx: NodeContext, readonly folderNode: FolderNode, readonly uidValidity: string, summary: MessageSummary) {
    super(ctx, `message:${folderNode.accountId}:${folderNode.path}:${uidValidity}:${summary.uid}`, folderNode);
    this.last = summary;
  }

  /** The headers as the store holds them (as last seen, once the message left the window). */
  get summary(): MessageSummary {
    const window = this.ctx.store(this.folderNode.accountId)?.window(this.folderNode.path);
    this.last = (window?.uidValidity === this.uidValidity ? window.find(this.last.uid) : undefined) ?? this.last;
    return this.last;
  }

  get ref(): MessageRef {
    return { accountId: this.folderNode.accountId, path: this.folderNode.path, uid: this.last.uid, uidValidity: this.uidValidity };
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
    const subject = plainLabel(m.subject) || vscode.l10n.t('(no subject)');
    const sender = senderName(m.from);
    const date = shortDate(m.date ?? m.internalDate);
    const bySender = this.ctx.lead() === 'sender';
    // Led by the sender (for a narrow sidebar), the date comes right after it and the name is cut
    // short enough for the date to stay on screen; led by the subject, the sender and the date follow.
    const item = this.item(bySender ? plainLabel(sender, 18) : subject);
    const details = bySender ? [date, subject] : [sender, date];
    item.description = [...details, deleted ? vscode.l10n.t('(deleted)') : '', m.hasAttachment ? '📎' : '', keywords.map((k) => plainLabel(k, 30)).join(', ')].filter(Boolean).join(' · ');
    item.tooltip = [
      `${vscode.l10n.t('Subject')}: ${plainLabel(m.subject, 500) || vscode.l10n.t('(no subject)')}`,
      `${vscode.l10n.t('From')}: ${formatAddresses(m.from)}`,
      `${vscode.l10n.t('To')}: ${formatAddresses(m.to) || '-'}`,
      m.cc.length ? `${vscode.l10n.t('Cc')}: ${formatAddresses(m.cc)}` : '',
      `${vscode.l10n.t('Date')}: ${fullDate(m.date)}`,
      m.internalDate && m.date && Math.abs(m.internalDate.getTime() - m.date.getTime()) > 60_000 ? `${vscode.l10n.t('Arrived')}: ${fullDate(m.internalDate)}` : '',
      `${vscode.l10n.t('Size')}: ${formatSize(m.size)}${m.hasAttachment ? ` · ${vscode.l10n.t('has attachments')}` : ''}`,
      [unread ? vscode.l10n.t('Unread') : '', flagged ? vscode.l10n.t('Flagged') : '', answered ? vscode.l10n.t('Answered') : '', deleted ? vscode.l10n.t('Marked deleted (not yet expunged)') : ''].filter(Boolean).join(', '),
      keywords.length ? `${vscode.l10n.t('Keywords')}: ${keywords.map((k) => plainLabel(k, 60)).join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('\n');
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
    item.accessibilityInformation = { label: `${unread ? 'Unread. ' : ''}${flagged ? 'Flagged. ' : ''}${subject}, from ${sender}, ${date}${m.hasAttachment ? ', has attachments' : ''}` };
    // No arguments: VS Code keeps command arguments only as long as the row's current item, and a
    // click that lands while the row is redrawn would find none. The command reads the selection
    // (VS Code sends it before running the command).
    item.command = { command: 'imapExplorer.openMessage', title: vscode.l10n.t('Open Message') };
    return item;
  }
}

/** User keywords of a message: every flag that is not a system flag (\\Seen...) nor $Forwarded-like noise. */
export function keywordsOf(flags: readonly string[]): string[] {
  return flags.filter((f) => !f.startsWith('\\') && !/^\$(MDNSent|Forwarded|Junk|NotJunk|Phishing|SubmitPending|Submitted)$/i.test(f));
}

export class LoadMoreNode extends TreeNode {
  constructor(ctx: NodeContext, readonly folderNode: FolderNode) {
    super(ctx, `more:${folderNode.accountId}:${folderNode.path}`, folderNode);
  }

  treeItem(): vscode.TreeItem {
    const window = this.ctx.store(this.folderNode.accountId)?.window(this.folderNode.path);
    const item = this.item(vscode.l10n.t('Load more...'));
    item.description = vscode.l10n.t('{0} of {1} shown', (window?.size ?? 0).toLocaleString(this.ctx.locale()), (window?.total ?? 0).toLocaleString(this.ctx.locale()));
    item.iconPath = new vscode.ThemeIcon('fold-down');
    item.accessibilityInformation = { label: `${String(item.label)} ${String(item.description)}` };
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
    private readonly text: () => { label: string; icon: string; tooltip?: string; command?: vscode.Command },
  ) {
    super(ctx, `${kind}:${parent.id}`, parent);
  }

  treeItem(): vscode.TreeItem {
    const { label, icon, tooltip, command } = this.text();
    const item = this.item(label);
    item.iconPath = new vscode.ThemeIcon(icon);
    item.tooltip = tooltip;
    item.contextValue = 'notice';
    item.accessibilityInformation = { label };
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
    const item = this.item(`${plainLabel(error ? headline(error) : '')} - ${action.label}`);
    item.tooltip = error ? plainLabel(error.message, 1000) + (error.details.serverText ? `\n${vscode.l10n.t('Server said')}: ${plainLabel(error.details.serverText, 500)}` : '') : undefined;
    item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    item.contextValue = 'error';
    item.accessibilityInformation = { label: `${String(item.label)}. ${plainLabel(error?.message, 300)}` };
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
    case 'TLS_PIN_MISMATCH':
    case 'TLS_NOT_TLS':
      return { label: vscode.l10n.t('Edit account'), command: 'imapExplorer.editAccount', args: [accountId] };
    case 'NO_PASSWORD':
      return { label: vscode.l10n.t('Enter password'), command: 'imapExplorer.enterPassword', args: [accountId] };
    case 'TLS_UNTRUSTED':
    case 'TLS_HOSTNAME':
      return error.details.certificate
        ? { label: vscode.l10n.t('Review certificate'), command: 'imapExplorer.trustCertificate', args: [accountId] }
        : { label: vscode.l10n.t('Edit account'), command: 'imapExplorer.editAccount', args: [accountId] };
    default:
      return retry;
  }
}
