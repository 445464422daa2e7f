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
import { MessageNode, type TreeNode } from './tree/nodes';
import { MailTreeProvider } from './tree/provider';
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
  const tree = new MailTreeProvider(accounts, sessions, log, () => (cacheEnabled() ? headerCache : undefined));
  subscriptions.push(accounts, sessions, tree);
  subscriptions.push(keychain.onDidChange((id) => tree.refreshAccount(id)));

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
  const panels = new MessagePanels(accounts, sessions, tree, viewDeps, vscode.Uri.joinPath(extensionUri, 'media', 'mail.svg'));
  subscriptions.push(panels);

  // the tree view needs the drag and drop controller, which needs triage, which reads the view's selection
  const holder: { view?: vscode.TreeView<TreeNode> } = {};
  const selection = () => holder.view?.selection ?? [];
  const triage = new Triage({
    accounts,
    sessions,
    tree,
    picker: new FolderPicker(context.globalState),
    undo: new UndoStack(),
    log,
    targets: { tree, selection, activeMessage: () => panels.activeMessage(), account: (id) => accounts.get(id) },
    moved: (accountId, path, uids, destination) => panels.removed(accountId, path, uids, destination),
  });
  const view = vscode.window.createTreeView('imapExplorer.mailboxes', {
    treeDataProvider: tree,
    showCollapseAll: true,
    canSelectMany: true,
    dragAndDropController: new MessageDragAndDrop(triage, log),
  });
  holder.view = view;
  subscriptions.push(view);
  // which of Flag / Unflag the S key stands for (both toggle; the key shows in their inline icons)
  subscriptions.push(view.onDidChangeSelection((e) => {
    const messages = e.selection.filter((n): n is MessageNode => n instanceof MessageNode);
    void vscode.commands.executeCommand('setContext', 'imapExplorer.selectionFlagged', messages.length > 0 && messages.every((m) => m.summary.flags.includes('\\Flagged')));
  }));

  const live = new LiveMail(accounts, keychain, sessions, tree, view, logger);
  subscriptions.push(live);
  subscriptions.push(tree.onDidLoadFolder(({ accountId, path }) => live.viewFolder(accountId, path)));
  subscriptions.push(tree.onDidChangeFlags(({ accountId, path, uids }) => panels.flagsChanged(accountId, path, uids)));
  subscriptions.push(live.onDidRemove((accountId, path, uids) => panels.removed(accountId, path, uids, undefined)));
  subscriptions.push(tree.onDidResync(({ accountId, path, change }) => {
    if (change.removed.length) {
      panels.removed(accountId, path, change.removed.map((m) => m.uid), undefined);
    }
  }));

  const drafts = new DraftStore(context.globalStorageUri);
  const draftFiles = new DraftFileSystem(drafts);
  subscriptions.push(draftFiles, vscode.workspace.registerFileSystemProvider(DRAFT_SCHEME, draftFiles, { isCaseSensitive: true }));
  const addressBook = new AddressBook(sessions);
  subscriptions.push(tree.onDidLoadFolder(({ accountId, path }) => addressBook.add(tree.folderModel(accountId, path)?.messages ?? [])));
  const composer = new Composer({ accounts, auth, sessions, pins, tree, triage, drafts, addressBook, logger, log });
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

  const workspace = new WorkspaceFeature({ accounts, sessions, tree, triage, composer, resolver: codeLinks, tempDir: () => tempDir.get(), open: (ref) => panels.open(ref, { newTab: true, preserveFocus: false }), extensionId: context.extension.id, log, git });
  subscriptions.push(workspace);

  subscriptions.push(
    ...registerCommands(
      {
        ...accountCommands({ accounts, keychain, auth, pins, sessions, tree, form: { accounts, keychain, auth, pins, logger, extensionUri, diagnose: (account, secrets, pinning) => diagnoseAccount({ extensionUri, log }, account, secrets, pinning) } }),
        ...treeCommands({ tree, panels, log, sourceUri, selection }),
        ...triageCommands(triage),
        ...composeCommands(composer),
        ...doctorCommands({ accounts, keychain, auth, pins, sessions, tree, extensionUri, log }),
        ...workspace.commands(),
      },
      log,
    ),
  );
  log.info('IMAP Mailbox Explorer activated');
}

export function deactivate(): void {
  // everything is disposed through context.subscriptions
}
