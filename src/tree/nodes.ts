// Tree nodes as small classes: each knows how to render itself and load its children lazily.
// Rows for "Load more" and errors are ordinary nodes that carry a command.
import * as vscode from 'vscode';
import { type AccountConfig, accountLabel } from '../core/account';
import { type MailError } from '../core/errors';
import { type FolderInfo, type SpecialUse } from '../core/mail/folders';
import { type MessageSummary } from '../core/mail/headers';
import { formatAddresses, formatSize, plainLabel, senderName } from '../core/text';
import { dates } from '../util/dates';
import { setTreeText, t, treeItem, uiFolder, uiFormat, uiJoin, uiLines, uiPlain } from '../util/ui';
import { FolderMessages } from '../core/mail/folderModel';
import { markPatchRow } from '../workspace/treeMark';

export interface MessageRef {
  accountId: string;
  path: string;
  uid: number;
  uidValidity?: string;
}

export interface TreeHost {
  loadFolders(node: AccountNode): Promise<TreeNode[]>;
  loadMessages(node: FolderNode): Promise<TreeNode[]>;
}

export abstract class TreeNode {
  constructor(readonly parent: TreeNode | undefined) {}
  abstract treeItem(): vscode.TreeItem;
  children(_host: TreeHost): Promise<TreeNode[]> | TreeNode[] {
    return [];
  }
}

export class AccountNode extends TreeNode {
  folders: FolderNode[] | undefined;
  /** The folder list from the header cache was offered (once per node). */
  cacheChecked = false;
  /** A LIST that finished in the background after the cached list was shown, or its error. */
  fresh: { folders: FolderInfo[] } | { error: MailError } | undefined;

  constructor(readonly account: AccountConfig) {
    super(undefined);
  }

  treeItem(): vscode.TreeItem {
    const item = treeItem(uiPlain(accountLabel(this.account)), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `account:${this.account.id}`;
    setTreeText(item, { description: this.account.label ? uiPlain(this.account.email) : undefined, tooltip: uiLines(`${this.account.email}\n${this.account.imap.user} @ ${this.account.imap.host}:${this.account.imap.port} (${this.account.imap.security.toUpperCase()})`) });
    item.iconPath = new vscode.ThemeIcon('account');
    item.contextValue = 'account';
    setTreeText(item, { accessibilityLabel: t('{0}, mail account', uiPlain(accountLabel(this.account))) });
    return item;
  }

  override children(host: TreeHost): Promise<TreeNode[]> {
    return host.loadFolders(this);
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
  /** Shared with the node that showed this folder before a refresh of the account's folders. */
  messages = new FolderMessages();
  /** The header cache was offered for this folder (once), and how its resync went. */
  cache: { checked: boolean; syncing: boolean; error?: MailError } = { checked: false, syncing: false };
  subfolders: FolderNode[];

  constructor(
    readonly account: AccountConfig,
    public folder: FolderInfo,
    parent: TreeNode,
  ) {
    super(parent);
    this.subfolders = folder.children.map((child) => new FolderNode(account, child, this));
  }

  get accountId(): string {
    return this.account.id;
  }

  treeItem(): vscode.TreeItem {
    const { folder } = this;
    const expandable = folder.selectable || folder.children.length > 0;
    const item = treeItem(uiPlain(folder.name) || uiPlain(folder.path), expandable ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `folder:${this.account.id}:${folder.path}`;
    const unseen = folder.unseen ?? 0;
    const counts = folder.selectable && folder.total !== undefined ? t('{0} messages, {1} unread', folder.total, unseen) : undefined;
    setTreeText(item, { description: folder.selectable && unseen > 0 ? uiFormat('{0}', unseen) : undefined, tooltip: uiJoin([uiFolder(folder.path, folder.delimiter), counts, folder.selectable ? undefined : t('(a container: it holds folders, not messages)')], '\n') });
    item.iconPath = new vscode.ThemeIcon(folder.specialUse ? FOLDER_ICONS[folder.specialUse] : folder.selectable ? 'folder' : 'folder-library');
    item.contextValue = `folder:${folder.selectable ? 'selectable' : 'noselect'}:${folder.subscribed ? 'subscribed' : 'unsubscribed'}${folder.specialUse ? `:${folder.specialUse}` : ''}`;
    setTreeText(item, { accessibilityLabel: folder.selectable ? t('{0}, {1} unread', uiPlain(folder.name), unseen) : uiPlain(folder.name) });
    return item;
  }

  override async children(host: TreeHost): Promise<TreeNode[]> {
    if (!this.folder.selectable) {
      return this.subfolders;
    }
    return [...this.subfolders, ...(await host.loadMessages(this))];
  }
}

export class MessageNode extends TreeNode {
  constructor(
    readonly folderNode: FolderNode,
    public summary: MessageSummary,
  ) {
    super(folderNode);
  }

  get ref(): MessageRef {
    return { accountId: this.folderNode.accountId, path: this.folderNode.folder.path, uid: this.summary.uid, uidValidity: this.folderNode.messages.uidValidity };
  }

  get account() {
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
    const item = treeItem(uiPlain(m.subject) || t('(no subject)'), vscode.TreeItemCollapsibleState.None);
    item.id = `message:${this.folderNode.accountId}:${this.folderNode.folder.path}:${this.folderNode.messages.uidValidity}:${m.uid}`;
    const date = dates().relative(m.date);
    setTreeText(item, {
      description: uiPlain([deleted ? vscode.l10n.t('(deleted)') : '', m.hasAttachment ? '📎' : '', senderName(m.from), date ? `· ${date}` : '', keywords.length ? `· ${keywords.map((k) => plainLabel(k, 30)).join(', ')}` : ''].filter(Boolean).join(' '), 400),
      tooltip: uiLines([
        `${vscode.l10n.t('Subject')}: ${plainLabel(m.subject, 500) || vscode.l10n.t('(no subject)')}`,
        `${vscode.l10n.t('From')}: ${formatAddresses(m.from)}`,
        `${vscode.l10n.t('To')}: ${formatAddresses(m.to) || '-'}`,
        m.cc.length ? `${vscode.l10n.t('Cc')}: ${formatAddresses(m.cc)}` : '',
        `${vscode.l10n.t('Date')}: ${dates().full(m.date)}`,
        `${vscode.l10n.t('Size')}: ${formatSize(m.size)}${m.hasAttachment ? ` · ${vscode.l10n.t('has attachments')}` : ''}`,
        [unread ? vscode.l10n.t('Unread') : '', flagged ? vscode.l10n.t('Flagged') : '', answered ? vscode.l10n.t('Answered') : '', deleted ? vscode.l10n.t('Marked deleted (not yet expunged)') : ''].filter(Boolean).join(', '),
        keywords.length ? `${vscode.l10n.t('Keywords')}: ${keywords.map((k) => plainLabel(k, 60)).join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('\n'), 4000),
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
    setTreeText(item, { accessibilityLabel: uiPlain(`${unread ? 'Unread. ' : ''}${flagged ? 'Flagged. ' : ''}${plainLabel(m.subject)}, from ${senderName(m.from)}, ${date}${m.hasAttachment ? ', has attachments' : ''}`, 600) });
    // No arguments: VS Code turns command arguments into handles that die when the tree
    // refreshes, and a click landing during a refresh then fails with "command not found".
    // The command reads the selection instead (VS Code sends it before running the command).
    item.command = { command: 'imapExplorer.openMessage', title: vscode.l10n.t('Open Message') };
    return item;
  }
}

/** User keywords of a message: every flag that is not a system flag (\\Seen...) nor $Forwarded-like noise. */
export function keywordsOf(flags: string[]): string[] {
  return flags.filter((f) => !f.startsWith('\\') && !/^\$(?:MDNSent|Forwarded|Junk|NotJunk|Phishing|SubmitPending|Submitted)$/i.test(f));
}

export class LoadMoreNode extends TreeNode {
  constructor(readonly folderNode: FolderNode) {
    super(folderNode);
  }

  treeItem(): vscode.TreeItem {
    const { messages } = this.folderNode;
    const item = treeItem(t('Load more...'), vscode.TreeItemCollapsibleState.None);
    item.id = `more:${this.folderNode.accountId}:${this.folderNode.folder.path}:${messages.messages.length}`;
    setTreeText(item, { description: t('{0} of {1} shown', uiPlain(dates().count(messages.messages.length)), uiPlain(dates().count(messages.total))) });
    item.iconPath = new vscode.ThemeIcon('fold-down');
    setTreeText(item, { accessibilityLabel: t('Load more... {0} of {1} shown', uiPlain(dates().count(messages.messages.length)), uiPlain(dates().count(messages.total))) });
    item.contextValue = 'loadMore';
    item.command = { command: 'imapExplorer.loadMore', title: vscode.l10n.t('Load More Messages') };
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
    parent: TreeNode | undefined,
    readonly error: MailError,
    readonly action: RowAction,
    readonly key: string,
  ) {
    super(parent);
  }

  treeItem(): vscode.TreeItem {
    const item = treeItem(uiPlain(`${headline(this.error)} - ${this.action.label}`), vscode.TreeItemCollapsibleState.None);
    item.id = `error:${this.key}`;
    setTreeText(item, { tooltip: this.error.details.serverText ? t('{0}\nServer said: {1}', uiPlain(this.error.message, 1000), uiPlain(this.error.details.serverText, 500)) : uiPlain(this.error.message, 1000) });
    item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    item.contextValue = 'error';
    setTreeText(item, { accessibilityLabel: uiPlain(`${headline(this.error)} - ${this.action.label}. ${this.error.message}`, 400) });
    item.command = { command: this.action.command, title: this.action.label, arguments: this.action.args };
    return item;
  }
}

export class InfoNode extends TreeNode {
  constructor(
    parent: TreeNode | undefined,
    readonly label: string,
    readonly key: string,
  ) {
    super(parent);
  }

  treeItem(): vscode.TreeItem {
    const item = treeItem(uiPlain(this.label, 400), vscode.TreeItemCollapsibleState.None);
    item.id = `info:${this.key}`;
    item.iconPath = new vscode.ThemeIcon('info');
    item.contextValue = 'info';
    setTreeText(item, { accessibilityLabel: uiPlain(this.label, 400) });
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
