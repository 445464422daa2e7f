// Drag messages onto a folder of the same account to move them: rows of the Mail view, and hits
// of the Search view (its controller only drags; both share the Mail view's MIME type, so a drop
// on a Mail view folder takes either). VS Code's drag and drop API does not tell the extension
// which modifier keys were held, so copying is "Copy to..." instead.
import * as vscode from 'vscode';
import { type AccountConfig } from '../core/account';
import { toMailError } from '../core/errors';
import { type SearchTreeNode } from '../search/nodes';
import { FolderNode, type TreeNode } from '../tree/nodes';
import { groupMessages, isMessageRow, type MessageRow } from './targets';
import { type Triage } from './triage';
import { showError, showWarning, t, uiPlain } from '../util/ui';

const MIME = 'application/vnd.code.tree.imapexplorer.mailboxes';

export class MessageDragAndDrop implements vscode.TreeDragAndDropController<TreeNode> {
  readonly dragMimeTypes = [MIME];
  readonly dropMimeTypes = [MIME];
  private dragged: MessageRow[] = [];

  constructor(
    private readonly triage: Triage,
    private readonly log: vscode.LogOutputChannel,
    private readonly accountOf: (accountId: string) => AccountConfig | undefined,
  ) {}

  /** The Search view's controller: its hits drag onto the Mail view's folders; nothing drops on it. */
  searchDrag(): vscode.TreeDragAndDropController<SearchTreeNode> {
    return {
      dragMimeTypes: [MIME],
      dropMimeTypes: [],
      handleDrag: (source, dataTransfer) => this.drag(source, dataTransfer),
    };
  }

  handleDrag(source: readonly TreeNode[], dataTransfer: vscode.DataTransfer): void {
    this.drag(source, dataTransfer);
  }

  private drag(source: readonly unknown[], dataTransfer: vscode.DataTransfer): void {
    this.dragged = source.filter(isMessageRow);
    if (this.dragged.length) {
      // the rows themselves stay here; the transfer only says that messages are being dragged
      dataTransfer.set(MIME, new vscode.DataTransferItem(this.dragged.map((n) => ({ accountId: n.accountId, path: n.path, uid: n.summary.uid }))));
    }
  }

  async handleDrop(target: TreeNode | undefined, dataTransfer: vscode.DataTransfer): Promise<void> {
    const item = dataTransfer.get(MIME);
    const dragged = this.dragged;
    this.dragged = [];
    if (!item || !(target instanceof FolderNode) || !dragged.length) {
      return;
    }
    if (!target.folder.selectable) {
      void showWarning(t('{0} holds folders, not messages.', this.triage.folderName(target.accountId, target.folder.path)));
      return;
    }
    const sets = groupMessages(dragged, this.accountOf).filter((s) => s.path !== target.folder.path || s.account.id !== target.accountId);
    if (sets.some((s) => s.account.id !== target.accountId)) {
      void showWarning(t('Moving mail between accounts is not supported.'));
      return;
    }
    try {
      await this.triage.transfer(sets, target.folder.path);
    } catch (err) {
      const error = toMailError(err);
      this.log.error(`Drop onto ${target.folder.path} failed: ${error.message}`);
      void showError(uiPlain(error.message, 400));
    }
  }
}
