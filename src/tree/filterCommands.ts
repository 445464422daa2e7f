// The quick filter commands of the Mail view: Quick Filter... (check boxes, the folder's inline
// icon), the toggles Unread and Flagged (folder), From This Sender and This Conversation (message
// row, on its folder), and Clear Quick Filter. The filters themselves: core/mail/quickFilter.ts;
// who holds them: quickFilters.ts.
import * as vscode from 'vscode';
import { type SessionPool } from '../accounts/sessions';
import { toMailError } from '../core/errors';
import { type QuickFilter, type QuickFilterKind, toggleFilter } from '../core/mail/quickFilter';
import { conversationOf } from '../core/threads/conversations';
import { type CommandTable } from '../util/commands';
import { showError, showInfo, showQuickPickMany, t, uiPlain, type UiQuickPickItem, withProgress } from '../util/ui';
import { type MailModel } from './model';
import { FolderNode, MessageNode, type TreeNode } from './nodes';

export interface FilterCommandDeps {
  model: MailModel;
  sessions: SessionPool;
  /** The Mail view's selection. */
  selection(): Promise<readonly TreeNode[]>;
  /** Shows the folder's rows (expands it). */
  reveal(node: FolderNode): Promise<void>;
}

/** The folder a folder command acts on: the row it was invoked on, else the folder of the selected row. */
async function folderOf(deps: FilterCommandDeps, arg: unknown): Promise<FolderNode | undefined> {
  const target = arg ?? (await deps.selection())[0];
  const folder = target instanceof FolderNode ? target : target instanceof MessageNode ? target.folderNode : undefined;
  if (folder?.folder.selectable) {
    return folder;
  }
  void showInfo(t('Select a folder in the Mail view first.'));
  return undefined;
}

/** The message a message command acts on: the row it was invoked on, else the selected one. */
async function messageOf(deps: FilterCommandDeps, arg: unknown): Promise<MessageNode | undefined> {
  const target = arg instanceof MessageNode ? arg : (await deps.selection()).find((n): n is MessageNode => n instanceof MessageNode);
  if (!target) {
    void showInfo(t('Select a message in the Mail view first.'));
  }
  return target;
}

function current(deps: FilterCommandDeps, folder: FolderNode): QuickFilter[] {
  return deps.model.filters.get(folder.accountId, folder.path)?.filters ?? [];
}

async function apply(deps: FilterCommandDeps, folder: FolderNode, filters: QuickFilter[]): Promise<void> {
  deps.model.filters.set(folder.accountId, folder.path, filters);
  await deps.reveal(folder);
}

/**
 * The conversation of a message within its folder, found on the server (a few seconds in a very
 * large folder: a header search), with progress in the status bar.
 *
 * @returns undefined when the message is gone or the server failed (the user was told).
 */
async function conversationFilter(deps: FilterCommandDeps, message: MessageNode): Promise<QuickFilter | undefined> {
  const { accountId, path } = message.folderNode;
  try {
    const conversation = await withProgress({ location: 'window', title: t('Finding the conversation...') }, () =>
      deps.sessions.searchPool(accountId).use((session) => session.withMailbox(path, (client) => conversationOf(client, path, message.summary.uid), { readOnly: true, idempotent: true })));
    if (!conversation) {
      void showInfo(t('This message is no longer in {0}.', deps.model.folderName(accountId, path)));
      return undefined;
    }
    return { kind: 'conversation', conversation };
  } catch (err) {
    void showError(t('Cannot find the conversation: {0}', uiPlain(toMailError(err).message, 300)));
    return undefined;
  }
}

export function filterCommands(deps: FilterCommandDeps): CommandTable {
  const toggle = (make: () => QuickFilter) => async (arg?: unknown) => {
    const folder = await folderOf(deps, arg);
    if (folder) {
      await apply(deps, folder, toggleFilter(current(deps, folder), make()));
    }
  };
  return {
    'imapExplorer.quickFilter': async (arg?: unknown) => {
      const folder = await folderOf(deps, arg);
      if (!folder) {
        return;
      }
      const on = current(deps, folder);
      const selected = (await deps.selection()).find((n): n is MessageNode => n instanceof MessageNode && n.folderNode === folder);
      const sender = selected?.summary.from[0]?.address;
      const onFrom = on.find((f) => f.kind === 'from');
      const onConversation = on.find((f) => f.kind === 'conversation');
      type Item = UiQuickPickItem & { kind: QuickFilterKind };
      const items: Item[] = [
        { kind: 'unread', label: t('Unread'), iconPath: new vscode.ThemeIcon('mail'), picked: on.some((f) => f.kind === 'unread') },
        { kind: 'flagged', label: t('Flagged'), iconPath: new vscode.ThemeIcon('star-full'), picked: on.some((f) => f.kind === 'flagged') },
      ];
      const fromAddress = onFrom?.kind === 'from' ? onFrom.address : sender;
      if (fromAddress) {
        items.push({ kind: 'from', label: t('From {0}', uiPlain(fromAddress, 200)), iconPath: new vscode.ThemeIcon('person'), picked: Boolean(onFrom) });
      }
      if (onConversation || selected) {
        const subject = onConversation?.kind === 'conversation' ? onConversation.conversation.subject : selected?.summary.subject ?? '';
        items.push({ kind: 'conversation', label: t('This conversation'), description: uiPlain(subject, 200), iconPath: new vscode.ThemeIcon('comment-discussion'), picked: Boolean(onConversation) });
      }
      const picked = await showQuickPickMany(items, { title: t('Quick Filter: {0}', deps.model.folderName(folder.accountId, folder.path)), placeHolder: t('Show only the messages that are all of these (none: every message)') });
      if (!picked) {
        return;
      }
      const kinds = new Set(picked.map((p) => p.kind));
      const next: QuickFilter[] = [];
      for (const kind of kinds) {
        if (kind === 'unread' || kind === 'flagged') {
          next.push({ kind });
        } else if (kind === 'from' && fromAddress) {
          next.push(onFrom ?? { kind: 'from', address: fromAddress });
        } else if (kind === 'conversation') {
          const filter = onConversation ?? (selected ? await conversationFilter(deps, selected) : undefined);
          if (!filter) {
            return;
          }
          next.push(filter);
        }
      }
      await apply(deps, folder, next);
    },
    'imapExplorer.filterUnread': toggle(() => ({ kind: 'unread' })),
    'imapExplorer.filterFlagged': toggle(() => ({ kind: 'flagged' })),
    'imapExplorer.filterSender': async (arg?: unknown) => {
      const message = await messageOf(deps, arg);
      const address = message?.summary.from[0]?.address;
      if (message && address) {
        await apply(deps, message.folderNode, toggleFilter(current(deps, message.folderNode), { kind: 'from', address }));
      }
    },
    'imapExplorer.filterConversation': async (arg?: unknown) => {
      const message = await messageOf(deps, arg);
      if (!message) {
        return;
      }
      const on = current(deps, message.folderNode).find((f) => f.kind === 'conversation');
      if (on?.kind === 'conversation' && on.conversation.uids.includes(message.summary.uid)) {
        await apply(deps, message.folderNode, current(deps, message.folderNode).filter((f) => f.kind !== 'conversation'));
        return;
      }
      const filter = await conversationFilter(deps, message);
      if (filter) {
        await apply(deps, message.folderNode, toggleFilter(current(deps, message.folderNode), filter));
      }
    },
    'imapExplorer.clearQuickFilter': async (arg?: unknown) => {
      const folder = await folderOf(deps, arg);
      if (folder) {
        await apply(deps, folder, []);
      }
    },
  };
}
