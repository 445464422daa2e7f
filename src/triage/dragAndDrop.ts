// Drag messages onto a folder of the same account to move them. VS Code's drag and drop API
// does not tell the extension which modifier keys were held, so copying is "Copy to..." instead.
import * as vscode from 'vscode';
import { toMailError } from '../core/errors';
import { FolderNode, MessageNode, type TreeNode } from '../tree/nodes';
import { groupMessages } from './targets';
import { type Triage } from './triage';
import { showError, showWarning, t, uiPlain } from '../util/ui';

const MIME = 'application/vnd.code.tree.imapexplorer.mailboxes';

export class MessageDragAndDrop implements vscode.TreeDragAndDropController<TreeNode> {
  readonly dragMimeTypes = [MIME];
  readonly dropMimeTypes = [MIME];
  private dragged: MessageNode[] = [];

  constructor(
    private readonly triage: Triage,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  handleDrag(source: readonly TreeNode[], dataTransfer: vscode.DataTransfer): void {
    this.dragged = source.filter((n): n is MessageNode => n instanceof MessageNode);
    if (this.dragged.length) {
      // the nodes themselves stay here; the transfer only says that messages are being dragged
      dataTransfer.set(MIME, new vscode.DataTransferItem(this.dragged.map((n) => n.ref)));
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
    const sets = groupMessages(dragged).filter((s) => s.path !== target.folder.path || s.account.id !== target.accountId);
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
