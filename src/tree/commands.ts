// Tree and message commands: refresh, load more, open a message (preview or new tab), view source.
import * as vscode from 'vscode';
import { type MessagePanels } from '../messageView/panels';
import { type CommandTable } from '../util/commands';
import { AccountNode, FolderNode, type MessageRef, MessageNode, type TreeNode } from './nodes';
import { type MailTreeProvider } from './provider';

export interface TreeCommandDeps {
  tree: MailTreeProvider;
  panels: MessagePanels;
  log: vscode.LogOutputChannel;
  sourceUri(ref: MessageRef): vscode.Uri;
}

function isRef(value: unknown): value is MessageRef {
  const v = value as MessageRef | undefined;
  return Boolean(v) && typeof v!.accountId === 'string' && typeof v!.path === 'string' && Number.isInteger(v!.uid);
}

function refOf(arg: unknown, panels: MessagePanels): MessageRef | undefined {
  if (arg instanceof MessageNode) {
    return arg.ref;
  }
  if (isRef(arg)) {
    return arg;
  }
  return panels.activeRef();
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
      if (node instanceof FolderNode) {
        await tree.loadMore(node);
      }
    },
    'imapExplorer.openMessage': async (arg: unknown) => {
      const ref = refOf(arg, panels);
      if (ref) {
        await panels.open(ref, { newTab: false, preserveFocus: true });
      }
    },
    'imapExplorer.openMessageInNewTab': async (arg: unknown) => {
      const ref = refOf(arg, panels);
      if (ref) {
        await panels.open(ref, { newTab: true });
      }
    },
    'imapExplorer.viewSource': async (arg: unknown) => {
      const ref = refOf(arg, panels);
      if (ref) {
        await vscode.commands.executeCommand('vscode.open', deps.sourceUri(ref), { preview: true });
      }
    },
    'imapExplorer.showLog': () => log.show(true),
  };
}
