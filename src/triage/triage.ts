// The triage actions as the user sees them: flag, read/unread, keywords, move, copy, archive,
// junk, delete, undo, and folder management. Each action is one IMAP command per folder, reports
// failures in plain words (the server's own text included), offers Undo, and leaves the tree
// showing what the server holds.
import * as vscode from 'vscode';
import { type AccountStore } from '../accounts/accountStore';
import { type SessionPool } from '../accounts/sessions';
import { type AccountConfig, type FolderRole } from '../core/account';
import { expungeUids, setFlags } from '../core/mail/actions';
import { MailError, toMailError } from '../core/errors';
import { createFolder, deleteFolder, folderMessageCount, renameFolder, setSubscribed } from '../core/mail/folderOps';
import { type FolderInfo, flattenFolders, listFolders } from '../core/mail/folders';
import { type MovePlan, runMove, undoMove } from '../core/mail/moveOperation';
import { type MailModel } from '../tree/model';
import { AccountNode, FolderNode, keywordsOf } from '../tree/nodes';
import { type FolderPicker } from './folderPicker';
import { type MessageSet, resolveTargets, type TargetDeps } from './targets';
import { type UndoEntry, type UndoStack } from './undo';
import { pickOrType, setStatusBarMessage, showError, showInfo, showInputBox, showModal, showQuickPick, showWarning, t, type UiText, uiJoin, uiPlain } from '../util/ui';

export interface TriageDeps {
  accounts: AccountStore;
  sessions: SessionPool;
  model: MailModel;
  picker: FolderPicker;
  undo: UndoStack;
  log: vscode.LogOutputChannel;
  targets: TargetDeps;
  /** Tells the message view that its message left the folder. */
  moved(accountId: string, path: string, uids: number[], destination: string): void;
  /** Messages came into a folder by our own hand (a move's destination, an undone move's source): results that cover it check them. */
  arrived(accountId: string, path: string, uids: number[]): void;
}

const ROLE_NAMES: Record<FolderRole, string> = { archive: 'Archive', junk: 'Junk', trash: 'Trash', sent: 'Sent', drafts: 'Drafts' };

function count(n: number): UiText {
  return n === 1 ? t('1 message') : t('{0} messages', n);
}

/** "3 messages flagged", "1 message marked unread", "2 messages: keyword $label1 added": words, not IMAP flags. */
function flagChange(flag: string, value: boolean, n: number): UiText {
  switch (flag) {
    case '\\Flagged':
      return value ? t('{0} flagged', count(n)) : t('{0} unflagged', count(n));
    case '\\Seen':
      return value ? t('{0} marked read', count(n)) : t('{0} marked unread', count(n));
    default:
      return value ? t('{0}: keyword {1} added', count(n), uiPlain(flag, 60)) : t('{0}: keyword {1} removed', count(n), uiPlain(flag, 60));
  }
}

export class Triage {
  constructor(private readonly deps: TriageDeps) {}

  /** A folder as the user knows it: "Triage / Confirmed", never the raw IMAP path. */
  folderName(accountId: string, path: string): UiText {
    return this.deps.model.folderName(accountId, path);
  }

  async targets(args: unknown[]): Promise<MessageSet[]> {
    const sets = await resolveTargets(args, this.deps.targets);
    if (!sets.length) {
      void showInfo(t('Select one or more messages first.'));
    }
    return sets;
  }

  private session(set: MessageSet) {
    return this.deps.sessions.get(set.account.id);
  }

  /** After a failure the tree may be wrong: reload what it shows from the server. */
  private showServerTruth(set: MessageSet): void {
    this.deps.model.invalidateFolder(set.account.id, set.path);
    this.deps.model.refreshCounts(set.account.id);
  }

  private offerUndo(text: UiText, entry: UndoEntry): void {
    this.deps.undo.push(entry);
    const undo = t('Undo');
    void showInfo(text, undo).then(async (choice) => {
      if (choice !== undo) {
        return;
      }
      if (this.deps.undo.remove(entry)) {
        await this.runUndo(entry);
        return;
      }
      // a notification outlives its entry: Undo (Z or the palette) may have used it already
      void showInfo(this.deps.undo.whyGone(entry) === 'undone'
        ? t('Already undone: {0}', entry.label)
        : t('This can no longer be undone: only the last {0} changes are kept.', this.deps.undo.limit));
    });
  }

  private async runUndo(entry: UndoEntry): Promise<void> {
    try {
      await entry.undo();
      setStatusBarMessage(t('Undone: {0}', entry.label), 4000);
    } catch (err) {
      const error = toMailError(err);
      this.deps.log.error(`Undo failed: ${error.message}`);
      void showError(t('Could not undo: {0}', uiPlain(error.message, 300)));
    }
  }

  async undo(): Promise<void> {
    const entry = this.deps.undo.pop();
    if (!entry) {
      void showInfo(t('Nothing to undo.'));
      return;
    }
    await this.runUndo(entry);
  }

  /** Sets or clears flags; `on` undefined toggles (set when any message lacks it). */
  async flag(args: unknown[], flag: string, on?: boolean): Promise<void> {
    const sets = await this.targets(args);
    if (!sets.length) {
      return;
    }
    const value = on ?? !sets.every((s) => s.messages.every((m) => m.flags.includes(flag)));
    const changed: Array<{ set: MessageSet; uids: number[] }> = [];
    for (const set of sets) {
      const uids = set.messages.filter((m) => m.flags.includes(flag) !== value).map((m) => m.uid);
      if (!uids.length) {
        continue;
      }
      const session = this.session(set);
      try {
        await session.withMailbox(set.path, (client) => setFlags({ client, refusal: () => session.takeRefusal() }, uids, [flag], value), { idempotent: true });
      } catch (err) {
        this.showServerTruth(set);
        throw err;
      }
      this.deps.model.setFlagsInModel(set.account.id, set.path, uids, [flag], value);
      changed.push({ set, uids });
    }
    if (flag === '\\Seen') {
      changed.forEach(({ set }) => this.deps.model.refreshCounts(set.account.id));
    }
    if (changed.length) {
      const n = changed.reduce((sum, c) => sum + c.uids.length, 0);
      this.deps.undo.push({
        label: flagChange(flag, value, n),
        undo: async () => {
          for (const { set, uids } of changed) {
            const session = this.session(set);
            await session.withMailbox(set.path, (client) => setFlags({ client, refusal: () => session.takeRefusal() }, uids, [flag], !value), { idempotent: true });
            this.deps.model.setFlagsInModel(set.account.id, set.path, uids, [flag], !value);
            if (flag === '\\Seen') {
              this.deps.model.refreshCounts(set.account.id);
            }
          }
        },
      });
      setStatusBarMessage(flagChange(flag, value, n), 3000);
    }
  }

  private async folders(account: AccountConfig): Promise<FolderInfo[]> {
    const known = this.deps.model.knownFolders(account.id);
    if (known?.length) {
      return known;
    }
    return flattenFolders(await this.deps.sessions.get(account.id).run((client) => listFolders(client), { idempotent: true }));
  }

  /** The folder for a role if it is known without asking (SPECIAL-USE or the account setting). */
  async knownRoleFolder(accountId: string, role: FolderRole): Promise<string | undefined> {
    const account = this.deps.accounts.get(accountId);
    if (!account) {
      return undefined;
    }
    const folders = await this.folders(account);
    return folders.find((f) => f.specialUse === role && f.selectable)?.path ?? (account.folders?.[role] && folders.some((f) => f.path === account.folders![role]) ? account.folders[role] : undefined);
  }

  /** The folder for a role: SPECIAL-USE, else the account setting, else ask once and remember. */
  async roleFolder(account: AccountConfig, role: FolderRole): Promise<string | undefined> {
    const folders = await this.folders(account);
    const special = folders.find((f) => f.specialUse === role && f.selectable);
    if (special) {
      return special.path;
    }
    const configured = account.folders?.[role];
    if (configured && folders.some((f) => f.path === configured)) {
      return configured;
    }
    const name = ROLE_NAMES[role];
    const create = `\u0000create`;
    const picked = await this.deps.picker.pick(account.id, folders, {
      title: t('{0} folder for {1}', uiPlain(name), uiPlain(account.email)),
      placeHolder: t('The server marks no folder as {0}. Choose one; it is remembered for this account.', uiPlain(name)),
      extra: [{ label: t('Create a folder named "{0}"', uiPlain(name)), iconPath: new vscode.ThemeIcon('new-folder'), value: create }],
      nameOf: (path) => this.folderName(account.id, path),
    });
    if (!picked) {
      return undefined;
    }
    let path = picked;
    if (picked === create) {
      path = await this.deps.sessions.get(account.id).run((client) => createFolder(client, undefined, name));
      this.deps.model.loader(account.id)?.refreshFolders();
    }
    await this.deps.accounts.save({ ...account, folders: { ...account.folders, [role]: path } });
    return path;
  }

  private oneAccount(sets: MessageSet[]): AccountConfig {
    const accounts = new Set(sets.map((s) => s.account.id));
    if (accounts.size > 1) {
      throw new MailError('INVALID_INPUT', vscode.l10n.t('Select messages of one account: moving mail between accounts is not supported.'));
    }
    return sets[0].account;
  }

  async moveTo(args: unknown[], copy = false): Promise<void> {
    const sets = await this.targets(args);
    if (!sets.length) {
      return;
    }
    const account = this.oneAccount(sets);
    const total = sets.reduce((n, s) => n + s.messages.length, 0);
    const destination = await this.deps.picker.pick(account.id, await this.folders(account), {
      title: copy ? t('Copy {0} to...', count(total)) : t('Move {0} to...', count(total)),
      placeHolder: t('Type to find a folder'),
      exclude: sets.length === 1 && !copy ? [sets[0].path] : [],
      nameOf: (path) => this.folderName(account.id, path),
    });
    if (destination) {
      await this.deps.picker.remember(account.id, destination);
      await this.transfer(sets, destination, { copy });
    }
  }

  async toRole(args: unknown[], role: 'archive' | 'junk'): Promise<void> {
    const sets = await this.targets(args);
    if (!sets.length) {
      return;
    }
    const destination = await this.roleFolder(this.oneAccount(sets), role);
    if (destination) {
      await this.transfer(sets.filter((s) => s.path !== destination), destination);
    }
  }

  async delete(args: unknown[]): Promise<void> {
    const sets = await this.targets(args);
    if (!sets.length) {
      return;
    }
    const account = this.oneAccount(sets);
    const trash = await this.roleFolder(account, 'trash');
    if (!trash) {
      return;
    }
    const inTrash = sets.filter((s) => s.path === trash);
    const elsewhere = sets.filter((s) => s.path !== trash);
    if (elsewhere.length) {
      await this.transfer(elsewhere, trash, { deleted: true });
    }
    for (const set of inTrash) {
      await this.expunge(set);
    }
  }

  /** Deleting inside Trash removes for good: asked first, and only those UIDs are expunged. */
  private async expunge(set: MessageSet): Promise<void> {
    const remove = t('Delete Permanently');
    const choice = await showModal(
      t('Permanently delete {0} from {1}?', count(set.messages.length), this.folderName(set.account.id, set.path)),
      { detail: t('This cannot be undone.') },
      remove,
    );
    if (choice !== remove) {
      return;
    }
    const session = this.session(set);
    const uids = set.messages.map((m) => m.uid);
    let expunged = false;
    try {
      expunged = (await session.withMailbox(set.path, (client) => expungeUids({ client, refusal: () => session.takeRefusal() }, uids), { idempotent: true })).expunged;
    } catch (err) {
      this.showServerTruth(set);
      throw err;
    }
    if (expunged) {
      this.deps.model.removeFromModel(set.account.id, set.path, uids);
      this.deps.moved(set.account.id, set.path, uids, '');
      setStatusBarMessage(t('{0} deleted permanently.', count(uids.length)), 4000);
    } else {
      this.deps.model.setFlagsInModel(set.account.id, set.path, uids, ['\\Deleted'], true);
      void showWarning(t('The server cannot expunge single messages (no UIDPLUS): {0} are marked deleted and disappear when the folder is expunged.', count(uids.length)));
    }
    this.deps.model.refreshCounts(set.account.id);
  }

  /** Moves (or copies) every set to `destination`, one command per folder, with Undo. */
  async transfer(sets: MessageSet[], destination: string, options: { copy?: boolean; deleted?: boolean } = {}): Promise<void> {
    const done: Array<{ set: MessageSet; plan: MovePlan; outcome: Awaited<ReturnType<typeof runMove>> }> = [];
    for (const set of sets) {
      this.deps.log.info(`${options.copy ? 'Copying' : 'Moving'} ${set.messages.length} message(s) from ${set.path} to ${destination}`);
      const plan: MovePlan = { from: set.path, to: destination, messages: set.messages.map((m) => ({ uid: m.uid, ...(m.messageId ? { messageId: m.messageId } : {}) })), ...(options.copy ? { copy: true } : {}) };
      let outcome;
      try {
        outcome = await runMove(this.session(set), plan);
      } catch (err) {
        this.showServerTruth(set);
        this.deps.model.invalidateFolder(set.account.id, destination);
        throw err;
      }
      done.push({ set, plan, outcome });
      const moved = [...outcome.placed.keys()];
      if (!options.copy) {
        if (outcome.leftMarkedDeleted) {
          this.deps.model.setFlagsInModel(set.account.id, set.path, moved, ['\\Deleted'], true);
        } else {
          this.deps.model.removeFromModel(set.account.id, set.path, moved);
        }
        this.deps.moved(set.account.id, set.path, moved, destination);
      }
      const placed = [...outcome.placed.values()].filter((u): u is number => u !== undefined);
      if (placed.length) {
        this.deps.arrived(set.account.id, destination, placed);
      }
      if (outcome.recovered) {
        this.deps.log.info(`A ${options.copy ? 'copy' : 'move'} to ${destination} lost its connection and was completed from the server's state.`);
        this.showServerTruth(set);
      }
      this.deps.model.invalidateFolder(set.account.id, destination);
      this.deps.model.refreshCounts(set.account.id);
    }
    const n = done.reduce((sum, d) => sum + d.outcome.placed.size, 0);
    const name = this.folderName(sets[0]?.account.id ?? '', destination);
    if (options.copy) {
      setStatusBarMessage(t('Copied {0} to {1}.', count(n), name), 4000);
      return;
    }
    const marked = done.some((d) => d.outcome.leftMarkedDeleted);
    const done_ = options.deleted ? t('Deleted {0}.', count(n)) : t('Moved {0} to {1}.', count(n), name);
    const text = marked ? t('{0} The server has no UIDPLUS: the originals are marked deleted, not removed.', done_) : done_;
    this.offerUndo(text, {
      label: t('move of {0} to {1}', count(n), name),
      undo: async () => {
        for (const { set, plan, outcome } of done) {
          const { left, restored } = await undoMove(this.session(set), plan, outcome);
          if (left.length) {
            this.deps.moved(set.account.id, destination, left, set.path);
          }
          if (restored.length) {
            this.deps.arrived(set.account.id, set.path, restored);
          }
          this.deps.model.invalidateFolder(set.account.id, set.path);
          this.deps.model.invalidateFolder(set.account.id, destination);
          this.deps.model.refreshCounts(set.account.id);
        }
      },
    });
  }

  async keyword(args: unknown[], add: boolean): Promise<void> {
    const sets = await this.targets(args);
    if (!sets.length) {
      return;
    }
    const present = [...new Set(sets.flatMap((s) => s.messages.flatMap((m) => keywordsOf(m.flags))))];
    let keyword: string | undefined;
    if (add) {
      const set = sets[0];
      const session = this.session(set);
      const permanent = await session.withMailbox(set.path, async (_client, mailbox) => [...(mailbox.permanentFlags ?? [])], { idempotent: true });
      const allowsNew = permanent.includes('\\*');
      const offered = [...new Set([...permanent.filter((f) => !f.startsWith('\\')), ...(this.deps.model.folderMessages(set.account.id, set.path)?.flatMap((m) => keywordsOf(m.flags)) ?? []), '$label1', '$label2', '$label3', '$label4', '$label5'])];
      if (!allowsNew && !offered.length) {
        throw new MailError('SERVER_NO', vscode.l10n.t('This folder does not accept keywords (its PERMANENTFLAGS has none).'));
      }
      keyword = allowsNew
        ? await pickOrType(offered.map((k) => uiPlain(k, 100)), { title: t('Add a keyword'), placeHolder: t('Pick a keyword or type a new one'), newItemDescription: t('new keyword') })
        : (await showQuickPick(offered.map((k) => ({ label: uiPlain(k, 100), keyword: k })), { title: t('Add a keyword') }))?.keyword;
      if (keyword && !/^[^\s()\\{%*"\]]+$/.test(keyword)) {
        throw new MailError('INVALID_INPUT', vscode.l10n.t('A keyword is one word without spaces, parentheses, quotes or backslashes.'));
      }
    } else {
      if (!present.length) {
        void showInfo(t('The selected messages have no keywords.'));
        return;
      }
      keyword = (await showQuickPick(present.map((k) => ({ label: uiPlain(k, 100), keyword: k })), { title: t('Remove a keyword') }))?.keyword;
    }
    if (keyword) {
      await this.flag(args, keyword, add);
    }
  }

  // ---- folders ----

  async newFolder(node: unknown): Promise<void> {
    const { account, parent } = await this.folderContext(node);
    const name = await showInputBox({ title: parent ? t('New folder in {0}', this.folderName(account.id, parent.path)) : t('New folder in {0}', uiPlain(account.email)), prompt: t('Folder name') });
    if (!name) {
      return;
    }
    await this.deps.sessions.get(account.id).run((client) => createFolder(client, parent?.path, name));
    this.deps.model.loader(account.id)?.refreshFolders();
    setStatusBarMessage(t('Created {0}.', parent ? uiJoin([this.folderName(account.id, parent.path), uiPlain(name)], ' / ') : uiPlain(name)), 4000);
  }

  async renameFolder(node: unknown): Promise<void> {
    const folder = await this.requireFolder(node);
    const name = await showInputBox({ title: t('Rename {0}', this.folderName(folder.accountId, folder.folder.path)), value: folder.folder.name, prompt: t('New name') });
    if (!name || name === folder.folder.name) {
      return;
    }
    await this.deps.sessions.get(folder.accountId).run((client) => renameFolder(client, folder.folder.path, name));
    this.deps.model.loader(folder.accountId)?.refreshFolders();
  }

  async deleteFolder(node: unknown): Promise<void> {
    const folder = await this.requireFolder(node);
    const session = this.deps.sessions.get(folder.accountId);
    const messages = folder.folder.selectable ? await session.run((client) => folderMessageCount(client, folder.folder.path), { idempotent: true }) : 0;
    const remove = t('Delete Folder');
    const detail = messages > 0
      ? t('It holds {0}. They are deleted with it; this cannot be undone.', count(messages))
      : t('The folder is empty.');
    const choice = await showModal(t('Delete the folder {0}?', this.folderName(folder.accountId, folder.folder.path)), { detail }, remove);
    if (choice !== remove) {
      return;
    }
    await session.run((client) => deleteFolder(client, folder.folder.path));
    this.deps.model.loader(folder.accountId)?.refreshFolders();
  }

  async subscribe(node: unknown, subscribed: boolean): Promise<void> {
    const folder = await this.requireFolder(node);
    await this.deps.sessions.get(folder.accountId).run((client) => setSubscribed(client, folder.folder.path, subscribed));
    this.deps.model.loader(folder.accountId)?.refreshFolders();
  }

  private async requireFolder(node: unknown): Promise<FolderNode> {
    if (node instanceof FolderNode) {
      return node;
    }
    const selected = (await this.deps.targets.selection('tree'))[0];
    if (selected instanceof FolderNode) {
      return selected;
    }
    throw new MailError('INVALID_INPUT', vscode.l10n.t('Select a folder first.'));
  }

  private async folderContext(node: unknown): Promise<{ account: AccountConfig; parent?: FolderNode['folder'] }> {
    const target = node ?? (await this.deps.targets.selection('tree'))[0];
    if (target instanceof FolderNode) {
      return { account: target.account, parent: target.folder };
    }
    if (target instanceof AccountNode) {
      return { account: target.account };
    }
    const accounts = this.deps.accounts.all();
    if (accounts.length === 1) {
      return { account: accounts[0] };
    }
    throw new MailError('INVALID_INPUT', vscode.l10n.t('Select an account or a folder first.'));
  }
}
