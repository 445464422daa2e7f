// Tree and message commands: refresh, load more, open a message (preview or new tab), view source.
import * as vscode from 'vscode';
import { type MessagePanels } from '../messageView/panels';
import { type CommandTable } from '../util/commands';
import { AccountNode, FolderNode, LoadMoreNode, type MessageRef, MessageNode, type TreeNode } from './nodes';
import { type MailTreeProvider } from './provider';

export interface TreeCommandDeps {
  tree: MailTreeProvider;
  /** The tree's current selection (rows run their commands without arguments). */
  selection(): readonly TreeNode[];
  panels: MessagePanels;
  log: vscode.LogOutputChannel;
  sourceUri(ref: MessageRef): vscode.Uri;
}

function isRef(value: unknown): value is MessageRef {
  const v = value as MessageRef | undefined;
  return Boolean(v) && typeof v!.accountId === 'string' && typeof v!.path === 'string' && Number.isInteger(v!.uid);
}

async function refOf(arg: unknown, deps: TreeCommandDeps): Promise<MessageRef | undefined> {
  if (arg instanceof MessageNode) {
    return arg.ref;
  }
  if (isRef(arg)) {
    return arg;
  }
  const selected = await deps.tree.settledSelection(deps.selection);
  if (selected.length === 1 && selected[0] instanceof MessageNode) {
    return selected[0].ref;
  }
  return deps.panels.activeRef();
}

export function treeCommands(deps: TreeCommandDeps): CommandTable {
  const { tree, panels, log } = deps;
  return {
    'imapExplorer.refresh': (node?: TreeNode) => {
      if (node instanceof AccountNode || node instanceof FolderNode) {
        tree.refresh(node);
      } else {
        tree.refresh();
      }
    },
    'imapExplorer.loadMore': async (node: unknown) => {
      const target = node ?? (await tree.settledSelection(deps.selection))[0];
      if (target instanceof LoadMoreNode) {
        await tree.loadMore(target.folderNode);
      } else if (target instanceof FolderNode) {
        await tree.loadMore(target);
      }
    },
    'imapExplorer.openMessage': async (arg: unknown) => {
      const ref = await refOf(arg, deps);
      if (ref) {
        await panels.open(ref, { newTab: false, preserveFocus: true });
      }
    },
    'imapExplorer.openMessageInNewTab': async (arg: unknown) => {
      const ref = await refOf(arg, deps);
      if (ref) {
        await panels.open(ref, { newTab: true });
      }
    },
    'imapExplorer.viewSource': async (arg: unknown) => {
      const ref = await refOf(arg, deps);
      if (ref) {
        await vscode.commands.executeCommand('vscode.openWith', deps.sourceUri(ref), 'default', { preview: true });
      }
    },
    'imapExplorer.showLog': () => log.show(true),
  };
}
