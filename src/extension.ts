// activate(): builds the services and registers everything on one disposables root.
import * as vscode from 'vscode';
import { accountCommands } from './accounts/commands';
import { AccountStore } from './accounts/accountStore';
import { Keychain } from './accounts/keychain';
import { globalStatePinStore } from './accounts/pins';
import { SessionPool } from './accounts/sessions';
import { AccountAuth } from './accounts/signIn';
import { reportIgnoredWorkspaceSettings, userSetting } from './accounts/userSettings';
import { HeaderCache } from './core/mail/headerCache';
import { type Logger, redacting } from './core/log';
import { AddressBook } from './compose/addressBook';
import { composeCommands } from './compose/commands';
import { Composer } from './compose/composer';
import { DraftEditorSupport } from './compose/draftEditor';
import { DraftFileSystem } from './compose/draftFileSystem';
import { DRAFT_SCHEME, DraftStore } from './compose/draftStore';
import { diagnoseAccount, doctorCommands } from './doctor/commands';
import { EML_VIEW_TYPE, EmlEditorProvider } from './eml/emlEditor';
import { LiveMail } from './live/liveMail';
import { type MessageViewDeps, RemoteContentPolicy } from './messageView/messageView';
import { MessagePanels } from './messageView/panels';
import { BodyRenderer } from './core/render/renderHost';
import { MessageSourceProvider, SOURCE_SCHEME, sourceUri } from './source/sourceProvider';
import { triageCommands } from './triage/commands';
import { MessageDragAndDrop } from './triage/dragAndDrop';
import { FolderPicker } from './triage/folderPicker';
import { Triage } from './triage/triage';
import { UndoStack } from './triage/undo';
import { treeCommands } from './tree/commands';
import { MailModel } from './tree/model';
import { FolderNode, MessageNode, type TreeNode } from './tree/nodes';
import { filterCommands } from './tree/filterCommands';
import { MailTreeProvider } from './tree/provider';
import { searchCommands } from './search/commands';
import { SEARCH_VIEW, SearchViewProvider } from './search/searchView';
import { type SearchTreeNode } from './search/nodes';
import { type SelectionSource } from './triage/targets';
import { UnreadIndicators } from './tree/unread';
import { registerCommands } from './util/commands';
import { SessionTempDir } from './util/tempDir';
import { CodeLinkResolver } from './workspace/codeLinks';
import { GitWorkspace } from './workspace/git';
import { WorkspaceFeature } from './workspace/feature';
import { messageWorkspace } from './workspace/viewLinks';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('IMAP Mailbox Explorer', { log: true });
  const subscriptions = context.subscriptions;
  subscriptions.push(log);
  const logger: Logger = redacting({
    trace: (m) => log.trace(m),
    debug: (m) => log.debug(m),
    info: (m) => log.info(m),
    warn: (m) => log.warn(m),
    error: (m) => log.error(m),
  });

  subscriptions.push(reportIgnoredWorkspaceSettings(log));
  const accounts = new AccountStore(log);
  const keychain = new Keychain(context.secrets, log);
  const pins = globalStatePinStore(context.globalState);
  const auth = new AccountAuth(keychain, logger);
  const sessions = new SessionPool(accounts, keychain, auth, pins, logger, undefined);
  const headerCache = new HeaderCache(vscode.Uri.joinPath(context.globalStorageUri, 'header-cache').fsPath);
  const cacheEnabled = () => userSetting<boolean>('cache.enabled', true);
  subscriptions.push(vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('imapExplorer.cache.enabled') && !cacheEnabled()) {
      void headerCache.clearAll();
    }
  }));
  void headerCache.pruneOldVersions();
  const model = new MailModel(accounts, sessions, logger, () => (cacheEnabled() ? headerCache : undefined));
  const tree = new MailTreeProvider(model);
  subscriptions.push(accounts, sessions, model, tree);
  // a new password (the session was dropped for it): ask the server again
  subscriptions.push(keychain.onDidChange((id) => model.loader(id)?.retry()));

  const extensionUri = context.extensionUri;
  const tempDir = new SessionTempDir();
  subscriptions.push(tempDir);
  void SessionTempDir.cleanStale().then((removed) => removed.length && log.info(`Removed ${removed.length} temporary folder(s) left by closed windows.`));
  const codeLinks = new CodeLinkResolver();
  const git = GitWorkspace.forExtension(context.extension.id, log);
  // message bodies render in a worker thread under a time budget (a hostile mail never blocks the host)
  const renderer = new BodyRenderer({ workerFile: vscode.Uri.joinPath(extensionUri, 'dist', 'renderWorker.js').fsPath, onProblem: (m) => log.warn(m) });
  subscriptions.push({ dispose: () => renderer.dispose() });
  const viewDeps: MessageViewDeps = {
    log,
    workspace: messageWorkspace(codeLinks, () => git.forLinks()),
    remote: new RemoteContentPolicy(),
    renderer,
    tempRoot: () => tempDir.get(),
    resources: (webview) => ({
      script: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'messageView.js')),
      style: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'messageView.css')),
      codicons: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'codicons', 'codicon.css')),
      roots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
      language: vscode.env.language,
    }),
  };
  const panels = new MessagePanels(accounts, sessions, model, viewDeps, vscode.Uri.joinPath(extensionUri, 'media', 'mail.svg'), context.workspaceState);
  subscriptions.push(panels);

  // the tree view needs the drag and drop controller, which needs triage, which reads the view's selection
  const holder: { view?: vscode.TreeView<TreeNode>; search?: vscode.TreeView<SearchTreeNode>; last?: SelectionSource } = {};
  const search = new SearchViewProvider(accounts, sessions, model, log, context.globalState);
  /** The selection; VS Code forgets a redrawn node's rows until it took them again, so wait for that. */
  const selection = async (): Promise<readonly TreeNode[]> => {
    const view = holder.view;
    if (view && !view.selection.length && view.visible) {
      const started = Date.now();
      await tree.drawn.settled();
      if (!view.selection.length) {
        log.info(`The Mail view's selection is empty (waited ${Date.now() - started} ms for VS Code to draw its rows).`);
      }
    }
    return view?.selection ?? [];
  };
  /** For triage: the selection of the view a key was pressed in, else of the one whose selection changed last. */
  const targetSelection = async (source?: SelectionSource): Promise<readonly unknown[]> =>
    ((source ?? holder.last) === 'search' ? holder.search?.selection ?? [] : selection());
  const triage = new Triage({
    accounts,
    sessions,
    model,
    picker: new FolderPicker(context.globalState),
    undo: new UndoStack(),
    log,
    targets: { model, selection: targetSelection, activeMessage: () => panels.activeMessage(), account: (id) => accounts.get(id) },
    moved: (accountId, path, uids, destination) => {
      panels.removed(accountId, path, uids, destination);
      search.removed(accountId, path, uids);
    },
    arrived: (accountId, path, uids) => search.arrived(accountId, path, uids),
  });
  const dragAndDrop = new MessageDragAndDrop(triage, log, (id) => accounts.get(id));
  const view = vscode.window.createTreeView('imapExplorer.mailboxes', {
    treeDataProvider: tree,
    showCollapseAll: true,
    canSelectMany: true,
    dragAndDropController: dragAndDrop,
  });
  holder.view = view;
  subscriptions.push(view, view.onDidCollapseElement(({ element }) => tree.drawn.collapsed(element)));
  subscriptions.push(new UnreadIndicators(model, view));
  // which of Flag / Unflag the S key stands for (both toggle; the key shows in their inline icons)
  subscriptions.push(view.onDidChangeSelection((e) => {
    const messages = e.selection.filter((n): n is MessageNode => n instanceof MessageNode);
    void vscode.commands.executeCommand('setContext', 'imapExplorer.selectionFlagged', messages.length > 0 && messages.every((m) => m.summary.flags.includes('\\Flagged')));
  }));

  const live = new LiveMail(accounts, keychain, sessions, model, logger);
  subscriptions.push(live);
  // live updates follow the folder the user is looking at: expanded, or a message of it selected
  subscriptions.push(view.onDidExpandElement(({ element }) => {
    if (element instanceof FolderNode && element.folder.selectable) {
      live.viewFolder(element.accountId, element.path);
    }
  }));
  subscriptions.push(view.onDidChangeSelection(({ selection: selected }) => {
    const first = selected[0];
    if (first instanceof MessageNode) {
      live.viewFolder(first.folderNode.accountId, first.folderNode.path);
    }
  }));

  const drafts = new DraftStore(context.globalStorageUri);
  const draftFiles = new DraftFileSystem(drafts);
  subscriptions.push(draftFiles, vscode.workspace.registerFileSystemProvider(DRAFT_SCHEME, draftFiles, { isCaseSensitive: true }));
  const addressBook = new AddressBook(sessions);
  subscriptions.push(model.onDidChange(({ accountId, event }) => {
    for (const { path, change, source } of event.changes) {
      addressBook.add(change.added);
      if (change.flagged.length) {
        panels.flagsChanged(accountId, path, change.flagged.map((f) => f.uid));
      }
      // our own moves tell the message view where the message went (triage)
      if (source === 'server' && change.removed.length) {
        panels.removed(accountId, path, change.removed.map((m) => m.uid), undefined);
      }
    }
  }));
  const composer = new Composer({ accounts, auth, sessions, pins, tree: model, triage, drafts, addressBook, logger, log });
  subscriptions.push(new DraftEditorSupport(drafts, accounts, addressBook));
  panels.setDraftOpener(async (ref) => {
    const drafts = await triage.knownRoleFolder(ref.accountId, 'drafts');
    if (drafts && drafts === ref.path) {
      await composer.continueDraft(ref);
      return true;
    }
    return false;
  });
  setTimeout(() => void composer.offerUnsent().catch((err) => log.warn(`Cannot list drafts: ${String(err)}`)), 1500);

  subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(SOURCE_SCHEME, new MessageSourceProvider(sessions)));
  subscriptions.push(vscode.window.registerCustomEditorProvider(EML_VIEW_TYPE, new EmlEditorProvider(viewDeps), { supportsMultipleEditorsPerDocument: true }));

  // search, saved searches and conversations: a view of their own in the Mail container
  const searchView = vscode.window.createTreeView(SEARCH_VIEW, { treeDataProvider: search, showCollapseAll: true, canSelectMany: true, dragAndDropController: dragAndDrop.searchDrag() });
  holder.search = searchView;
  subscriptions.push(view.onDidChangeSelection(() => (holder.last = 'tree')), searchView.onDidChangeSelection(() => (holder.last = 'search')));
  subscriptions.push(search, searchView, model.onDidChange(({ accountId, event }) => search.storeChanged(accountId, event)));
  subscriptions.push(model.onDidSetFlags(({ accountId, path, uids, flags, on }) => search.ownFlags(accountId, path, uids, flags, on)));

  const workspace = new WorkspaceFeature({ accounts, sessions, tree: model, triage, composer, resolver: codeLinks, tempDir: () => tempDir.get(), open: (ref) => panels.open(ref, { newTab: true, preserveFocus: false }), extensionId: context.extension.id, log, git });
  subscriptions.push(workspace);

  subscriptions.push(
    ...registerCommands(
      {
        ...accountCommands({ accounts, keychain, auth, pins, sessions, tree, form: { accounts, keychain, auth, pins, logger, extensionUri, diagnose: (account, secrets, pinning) => diagnoseAccount({ extensionUri, log }, account, secrets, pinning) } }),
        ...treeCommands({ tree, model, panels, log, sourceUri, selection }),
        ...triageCommands(triage),
        ...composeCommands(composer),
        ...doctorCommands({ accounts, keychain, auth, pins, sessions, tree, extensionUri, log }),
        ...workspace.commands(),
        ...searchCommands({ search, view: () => searchView, mailSelection: selection, accounts, model, panels, addressBook, globalState: context.globalState, log }),
        ...filterCommands({ model, sessions, selection, reveal: (node) => Promise.resolve(view.reveal(node, { expand: true, select: false, focus: false })).then(undefined, () => undefined) }),
      },
      log,
    ),
  );
  log.info('IMAP Mailbox Explorer activated');
}

export function deactivate(): void {
  // everything is disposed through context.subscriptions
}
