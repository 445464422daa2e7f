// "Move to..." and friends: a quick pick of all folders of the account, fuzzy matched, the most
// recent targets first.
import * as vscode from 'vscode';
import { type FolderInfo } from '../core/mail/folders';
import { showQuickPick, t, type UiQuickPickItem, type UiText, uiFolder } from '../util/ui';

const ICONS: Record<string, string> = { inbox: 'inbox', sent: 'send', drafts: 'edit', trash: 'trash', junk: 'circle-slash', archive: 'archive', flagged: 'star-full', all: 'mail' };
const RECENT_LIMIT = 5;

export interface FolderPickOptions {
  title: UiText;
  placeHolder: UiText;
  /** Folders that make no sense as a target (the source). */
  exclude?: string[];
  /** Extra items first, e.g. "Create folder 'Archive'". */
  extra?: Array<UiQuickPickItem & { value: string }>;
  /** A folder's name as the Mail tree shows it (MailModel.folderName); else its path cut at its delimiter. */
  nameOf?: (path: string) => UiText;
}

export class FolderPicker {
  constructor(private readonly state: vscode.Memento) {}

  private recents(accountId: string): string[] {
    return this.state.get<string[]>(`imapExplorer.recentTargets.${accountId}`, []);
  }

  async remember(accountId: string, path: string): Promise<void> {
    const next = [path, ...this.recents(accountId).filter((p) => p !== path)].slice(0, RECENT_LIMIT);
    await this.state.update(`imapExplorer.recentTargets.${accountId}`, next);
  }

  async pick(accountId: string, folders: FolderInfo[], options: FolderPickOptions): Promise<string | undefined> {
    const exclude = new Set(options.exclude ?? []);
    const selectable = folders.filter((f) => f.selectable && !exclude.has(f.path));
    const recent = this.recents(accountId).map((p) => selectable.find((f) => f.path === p)).filter((f): f is FolderInfo => Boolean(f));
    const toItem = (f: FolderInfo, isRecent: boolean): UiQuickPickItem & { value: string } => ({
      label: options.nameOf?.(f.path) ?? uiFolder(f.path, f.delimiter),
      ...(isRecent ? { description: t('recent') } : {}),
      iconPath: new vscode.ThemeIcon(f.specialUse ? ICONS[f.specialUse] : 'folder'),
      value: f.path,
    });
    const items: Array<UiQuickPickItem & { value?: string }> = [
      ...(options.extra ?? []),
      ...recent.map((f) => toItem(f, true)),
      ...(recent.length ? [{ label: t('All folders'), separator: true }] : []),
      ...selectable.filter((f) => !recent.includes(f)).map((f) => toItem(f, false)),
    ];
    const picked = await showQuickPick(items, { title: options.title, placeHolder: options.placeHolder, matchOnDescription: true });
    return picked?.value;
  }
}
