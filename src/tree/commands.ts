// Tree and message commands: refresh, load more, open a message (preview or new tab), view source.
import * as vscode from 'vscode';
import { type MessagePanels } from '../messageView/panels';
import { type CommandTable } from '../util/commands';
import { type MailModel } from './model';
import { AccountNode, ErrorNode, FilterMoreNode, FolderNode, LoadMoreNode, type MessageRef, MessageNode, type TreeNode } from './nodes';
import { type MailTreeProvider } from './provider';

export interface TreeCommandDeps {
  tree: MailTreeProvider;
  model: MailModel;
  /** The tree's current selection (rows run their commands without arguments), once VS Code drew it. */
  selection(): Promise<readonly TreeNode[]>;
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
  const selected = await deps.selection();
  if (selected.length === 1 && selected[0] instanceof MessageNode) {
    return selected[0].ref;
  }
  return deps.panels.activeRef();
}

export function treeCommands(deps: TreeCommandDeps): CommandTable {
  const { tree, model, panels, log } = deps;
  return {
    'imapExplorer.refresh': async (node?: TreeNode) => {
      // a folder's error row runs Retry on its selection
      const target = node ?? (await deps.selection()).find((n) => n instanceof ErrorNode)?.parent;
      if (target instanceof FolderNode) {
        void model.loader(target.accountId)?.reload(target.path);
        model.refreshCounts(target.accountId);
      } else if (target instanceof AccountNode) {
        tree.refreshAccount(target.account.id);
      } else {
        tree.refresh();
      }
    },
    'imapExplorer.loadMore': async (node: unknown) => {
      const target = node ?? (await deps.selection())[0];
      const folder = target instanceof LoadMoreNode || target instanceof FilterMoreNode ? target.folderNode : target instanceof FolderNode ? target : undefined;
      const filtered = folder && model.filters.get(folder.accountId, folder.path);
      if (filtered) {
        await filtered.run.loadMore();
      } else if (folder) {
        await model.loader(folder.accountId)?.loadMore(folder.path);
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
