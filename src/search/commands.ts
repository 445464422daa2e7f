// Search commands: "Search Mail..." (title bar, account, folder, palette, `/` in the Mail view),
// the query input with history and completion, results (open, Load more, cancel, close), saved
// searches (save, rename, remove), the quick filters of a folder, and Show as Conversations.
import * as vscode from 'vscode';
import { type AccountStore } from '../accounts/accountStore';
import { type AddressBook } from '../compose/addressBook';
import { flattenFolders } from '../core/mail/folders';
import { completeQuery } from '../core/search/complete';
import { parseQuery, QueryError, quoteValue } from '../core/search/query';
import { type SavedSearch, withoutSaved, withSaved } from '../core/search/saved';
import { type SearchOrigin } from '../core/search/scope';
import { toMailError } from '../core/errors';
import { type MessagePanels } from '../messageView/panels';
import { AccountNode, FolderNode, MessageNode } from '../tree/nodes';
import { type MailModel } from '../tree/model';
import { type CommandTable } from '../util/commands';
import { liveQuickPick, showError, showInfo, showInputBox, showQuickPick, t, type UiLiveItem, uiPlain } from '../util/ui';
import { ConversationNode, ConversationsNode, HitNode, ResultMoreNode, ResultNode, type SearchTreeNode, SortedFolderNode } from './nodes';
import { SEARCH_VIEW, type SearchViewProvider } from './searchView';

const HISTORY_KEY = 'imapExplorer.searchHistory';
const HISTORY_MAX = 20;

export interface SearchCommandDeps {
  search: SearchViewProvider;
  view(): vscode.TreeView<SearchTreeNode> | undefined;
  /** The Mail view's selection: `/` searches the folder or account selected there. */
  mailSelection(): Promise<readonly unknown[]>;
  accounts: AccountStore;
  model: MailModel;
  panels: MessagePanels;
  addressBook: AddressBook;
  globalState: vscode.Memento;
  log: vscode.LogOutputChannel;
}

function originOf(arg: unknown): SearchOrigin {
  if (arg instanceof FolderNode) {
    return { accountId: arg.accountId, path: arg.folder.path };
  }
  if (arg instanceof AccountNode) {
    return { accountId: arg.account.id };
  }
  return undefined;
}

/** The query input: history first, completion of the word at the end, the parse error with its column. */
function askQuery(deps: SearchCommandDeps, origin: SearchOrigin, initial?: string): Promise<string | undefined> {
  const history = deps.globalState.get<string[]>(HISTORY_KEY, []);
  const accountIds = origin ? [origin.accountId] : deps.accounts.all().map((a) => a.id);
  const folders = accountIds.flatMap((id) => flattenFolders(deps.model.knownFolders(id) ?? []).filter((f) => f.selectable).map((f) => ({ path: f.path, name: f.name })));
  const where = origin?.path ? uiPlain(origin.path) : origin ? uiPlain(deps.accounts.get(origin.accountId)?.email ?? '') : t('every account');
  return liveQuickPick({
    title: t('Search Mail in {0}', where),
    placeHolder: t('from:dana is:unread after:7d "login crash" in:all ... (Enter to search)'),
    ...(initial ? { value: initial } : {}),
    items: (value): UiLiveItem[] => {
      const typed = value.trim();
      const rows: UiLiveItem[] = [];
      if (typed) {
        try {
          parseQuery(typed);
          rows.push({ label: t('Search: {0}', uiPlain(typed, 300)), iconPath: new vscode.ThemeIcon('search'), value: typed, action: 'accept' });
        } catch (err) {
          rows.push({ label: uiPlain(err instanceof QueryError ? err.withColumn : String(err), 300), iconPath: new vscode.ThemeIcon('error'), value: typed, action: 'none' });
        }
        const word = value.slice(value.lastIndexOf(' ') + 1);
        const prefix = word.includes(':') ? word.slice(word.indexOf(':') + 1).replace(/^"/, '') : '';
        const addresses = /^-?(?:from|to|cc):/i.test(word) ? deps.addressBook.search(prefix).map((m) => ({ name: m.name, address: m.address })) : [];
        for (const c of completeQuery(value, { folders, addresses })) {
          rows.push({ label: uiPlain(c.label, 200), ...(c.description ? { description: uiPlain(c.description, 200) } : {}), iconPath: new vscode.ThemeIcon('symbol-field'), value: `${c.query}${c.query.endsWith(':') ? '' : ' '}`, action: 'fill' });
        }
      }
      for (const past of history.filter((h) => h !== typed && (!typed || h.toLowerCase().includes(typed.toLowerCase()))).slice(0, 10)) {
        rows.push({ label: uiPlain(past, 300), description: t('recent'), iconPath: new vscode.ThemeIcon('history'), value: past, action: 'accept' });
      }
      return rows;
    },
  });
}

async function remember(deps: SearchCommandDeps, query: string): Promise<void> {
  const history = deps.globalState.get<string[]>(HISTORY_KEY, []).filter((h) => h !== query);
  await deps.globalState.update(HISTORY_KEY, [query, ...history].slice(0, HISTORY_MAX));
}

async function runSearch(deps: SearchCommandDeps, query: string, origin: SearchOrigin): Promise<ResultNode | undefined> {
  try {
    const node = await deps.search.search(query, origin);
    await remember(deps, node.query);
    await reveal(deps, node);
    return node;
  } catch (err) {
    void showError(err instanceof QueryError ? t('Cannot search: {0}', uiPlain(err.withColumn, 300)) : t('Cannot search: {0}', uiPlain(toMailError(err).message, 300)));
    return undefined;
  }
}

async function reveal(deps: SearchCommandDeps, node: SearchTreeNode): Promise<void> {
  // the view shows once it has something (a when clause): give VS Code a moment to create it
  await vscode.commands.executeCommand(`${SEARCH_VIEW}.focus`);
  await deps.view()?.reveal(node, { select: false, focus: false, expand: true }).then(undefined, () => undefined);
}

async function selected<T extends SearchTreeNode>(deps: SearchCommandDeps, arg: unknown, kind: abstract new (...args: never[]) => T): Promise<T | undefined> {
  if (arg instanceof kind) {
    return arg;
  }
  const first = deps.view()?.selection[0];
  return first instanceof kind ? first : undefined;
}

function currentSaved(): SavedSearch[] {
  const value = vscode.workspace.getConfiguration('imapExplorer').inspect<SavedSearch[]>('savedSearches')?.globalValue;
  return Array.isArray(value) ? value : [];
}

async function writeSaved(value: SavedSearch[]): Promise<void> {
  await vscode.workspace.getConfiguration('imapExplorer').update('savedSearches', value, vscode.ConfigurationTarget.Global);
}

/** The folder a folder command acts on: the row it was invoked on, else the one selected in the Mail view. */
async function folderOf(deps: SearchCommandDeps, arg: unknown): Promise<FolderNode | undefined> {
  if (arg instanceof FolderNode) {
    return arg;
  }
  const first = arg === undefined ? (await deps.mailSelection())[0] : undefined;
  if (first instanceof FolderNode && first.folder.selectable) {
    return first;
  }
  // never silently nothing (a row VS Code no longer knew came as no argument)
  void showInfo(t('Select a folder in the Mail view first.'));
  return undefined;
}

export function searchCommands(deps: SearchCommandDeps): CommandTable {
  const { search } = deps;
  return {
    'imapExplorer.search': async (arg?: unknown) => {
      const origin = originOf(arg ?? (await deps.mailSelection())[0]);
      const query = await askQuery(deps, origin);
      if (query) {
        await runSearch(deps, query, origin);
      }
    },
    'imapExplorer.openSearchResult': async (arg?: unknown) => {
      const node = await selected(deps, arg, HitNode);
      if (node) {
        await deps.panels.open(node.ref, { newTab: false, preserveFocus: true });
      }
    },
    'imapExplorer.searchLoadMore': async (arg?: unknown) => {
      const node = await selected(deps, arg, ResultMoreNode);
      if (node) {
        await search.loadMore(node.result);
      }
    },
    'imapExplorer.cancelSearch': async (arg?: unknown) => {
      const node = await selected(deps, arg, ResultNode);
      if (node) {
        search.cancel(node);
      }
    },
    'imapExplorer.closeSearch': async (arg?: unknown) => {
      if (arg instanceof ConversationsNode || arg instanceof SortedFolderNode) {
        search.closeConversations(arg);
        return;
      }
      const node = await selected(deps, arg, ResultNode);
      if (node) {
        search.close(node);
      }
    },
    'imapExplorer.editSearch': async (arg?: unknown) => {
      const node = await selected(deps, arg, ResultNode);
      if (node) {
        const query = await askQuery(deps, node.origin, node.query);
        if (query) {
          await runSearch(deps, query, node.origin);
        }
      }
    },
    'imapExplorer.saveSearch': async (arg?: unknown) => {
      const node = (await selected(deps, arg, ResultNode)) ?? search.latest();
      if (!node || node.saved) {
        return;
      }
      const name = await showInputBox({ title: t('Save Search'), prompt: t('A name for the saved search "{0}"', uiPlain(node.query, 200)), value: node.query, validateInput: (v) => (v.trim() ? undefined : t('Give the search a name')) });
      if (!name) {
        return;
      }
      const saved: SavedSearch = { name: name.trim(), query: node.query, ...(node.origin && !node.origin.path ? { accountId: node.origin.accountId } : {}) };
      // a search started from a folder keeps its folder as in:, so it means the same from the group
      if (node.origin?.path && !/(?:^|\s)in:/i.test(node.query)) {
        saved.query = `${node.query} in:${quoteValue(node.origin.path)}`;
        saved.accountId = node.origin.accountId;
      }
      await writeSaved(withSaved(currentSaved(), saved));
      search.close(node);
    },
    'imapExplorer.renameSavedSearch': async (arg?: unknown) => {
      const node = await selected(deps, arg, ResultNode);
      if (!node?.saved) {
        return;
      }
      const name = await showInputBox({ title: t('Rename Saved Search'), value: node.saved.name, validateInput: (v) => (v.trim() ? undefined : t('Give the search a name')) });
      if (name) {
        await writeSaved(withSaved(currentSaved(), { ...node.saved, name: name.trim() }));
      }
    },
    'imapExplorer.removeSavedSearch': async (arg?: unknown) => {
      const node = await selected(deps, arg, ResultNode);
      if (node?.saved) {
        await writeSaved(withoutSaved(currentSaved(), node.saved));
      }
    },
    'imapExplorer.refreshSearch': async (arg?: unknown) => {
      const node = await selected(deps, arg, ResultNode);
      if (node?.saved) {
        search.close(node);
        void search.count(node);
      } else if (node) {
        search.close(node);
        await runSearch(deps, node.query, node.origin);
      }
    },
    'imapExplorer.filterFromSender': async (arg?: unknown) => {
      const node = arg instanceof MessageNode ? arg : arg instanceof HitNode ? arg : undefined;
      const from = node?.summary.from[0]?.address;
      if (node && from) {
        const path = node instanceof MessageNode ? node.folderNode.folder.path : node.path;
        await runSearch(deps, `from:${quoteValue(from)}`, { accountId: node instanceof MessageNode ? node.account.id : node.accountId, path });
      }
    },
    'imapExplorer.showConversations': async (arg?: unknown) => {
      const folder = await folderOf(deps, arg);
      if (!folder) {
        return;
      }
      const node = await search.showConversations(folder.accountId, folder.folder.path);
      await reveal(deps, node);
    },
    'imapExplorer.sortFolder': async (arg?: unknown) => {
      const folder = await folderOf(deps, arg);
      if (!folder) {
        return;
      }
      const keys = [
        { label: t('Date'), description: t('newest first'), key: 'date' as const },
        { label: t('Sender'), description: t('A to Z'), key: 'sender' as const },
        { label: t('Subject'), description: t('A to Z, without Re: and Fwd:'), key: 'subject' as const },
        { label: t('Size'), description: t('largest first'), key: 'size' as const },
      ];
      const picked = await showQuickPick(keys, { title: t('Sort {0} By', uiPlain(folder.folder.name)) });
      if (picked) {
        const node = await search.showSorted(folder.accountId, folder.folder.path, picked.key);
        await reveal(deps, node);
      }
    },
    'imapExplorer.openConversation': async (arg?: unknown) => {
      const node = await selected(deps, arg, ConversationNode);
      const last = node?.conversation.messages[node.conversation.messages.length - 1];
      if (node && last) {
        await deps.panels.open({ accountId: node.owner.accountId, path: last.path, uid: last.message.uid }, { newTab: false, preserveFocus: true });
      }
    },
  };
}
