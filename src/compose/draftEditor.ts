// What makes a draft feel like a mail editor: a CodeLens line with Send / Save Draft / Discard /
// Attach, completion of addresses on To/Cc/Bcc (and of the account's addresses on From) and of
// file names on Attach lines, and a save shortly after each change, so the file on disk always
// holds what was typed.
import { readdir } from 'node:fs/promises';
import * as vscode from 'vscode';
import { type AccountStore } from '../accounts/accountStore';
import { formatMailbox, parseAddressList } from '../core/compose/addresses';
import { Disposable } from '../util/dispose';
import { type AddressBook } from './addressBook';
import { attachmentPath } from './attachPath';
import { DRAFT_SCHEME, type DraftStore } from './draftStore';

export const DRAFT_LANGUAGE = 'imap-explorer-draft';

/** Gives a document of the draft file system the draft language (highlighting, CodeLens, completion). */
export async function asDraft(document: vscode.TextDocument): Promise<vscode.TextDocument> {
  if (document.uri.scheme !== DRAFT_SCHEME || document.languageId === DRAFT_LANGUAGE) {
    return document;
  }
  return vscode.languages.setTextDocumentLanguage(document, DRAFT_LANGUAGE);
}

export class DraftEditorSupport extends Disposable implements vscode.CodeLensProvider, vscode.CompletionItemProvider {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly drafts: DraftStore,
    private readonly accounts: AccountStore,
    private readonly addressBook: AddressBook,
  ) {
    super();
    const selector: vscode.DocumentSelector = { language: DRAFT_LANGUAGE };
    this._register(vscode.languages.registerCodeLensProvider(selector, this));
    this._register(vscode.languages.registerCompletionItemProvider(selector, this, ':', ',', ' ', '/'));
    this._register(vscode.workspace.onDidChangeTextDocument((e) => this.scheduleSave(e.document)));
    // a draft's name is its subject, without the .maildraft extension that would pick the language:
    // also after a reload, when VS Code restores the tab before this extension runs
    this._register(vscode.workspace.onDidOpenTextDocument((d) => void asDraft(d)));
    vscode.workspace.textDocuments.forEach((d) => void asDraft(d));
  }

  private scheduleSave(document: vscode.TextDocument): void {
    if (!this.drafts.idOf(document.uri)) {
      return;
    }
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      if (document.isDirty && !document.isClosed) {
        void document.save();
      }
    }, 700));
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.drafts.idOf(document.uri)) {
      return [];
    }
    const top = new vscode.Range(0, 0, 0, 0);
    const mac = process.platform === 'darwin';
    return [
      new vscode.CodeLens(top, { title: `$(send) ${vscode.l10n.t('Send')} (${mac ? 'Cmd' : 'Ctrl'}+Enter)`, command: 'imapExplorer.send', arguments: [document.uri] }),
      new vscode.CodeLens(top, { title: `$(save) ${vscode.l10n.t('Save Draft')}`, command: 'imapExplorer.saveDraft', arguments: [document.uri] }),
      new vscode.CodeLens(top, { title: `$(trash) ${vscode.l10n.t('Discard')}`, command: 'imapExplorer.discardDraft', arguments: [document.uri] }),
      new vscode.CodeLens(top, { title: `$(file-add) ${vscode.l10n.t('Attach File...')}`, command: 'imapExplorer.attachFile', arguments: [document.uri] }),
    ];
  }

  /** Files and folders for an "Attach:" line, from the folder typed so far (workspace, ~ or /). */
  private async files(typed: string, position: vscode.Position): Promise<vscode.CompletionItem[]> {
    const cut = typed.lastIndexOf('/');
    const folderPart = cut >= 0 ? typed.slice(0, cut + 1) : '';
    const dir = folderPart ? attachmentPath(folderPart) : attachmentPath('.');
    if (!dir) {
      return [];
    }
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return [];
    }
    const start = position.character - (typed.length - folderPart.length);
    const range = new vscode.Range(position.line, start, position.line, position.character);
    const showHidden = typed.slice(folderPart.length).startsWith('.');
    return entries
      .filter((e) => showHidden || !e.name.startsWith('.'))
      .slice(0, 500)
      .map((e) => {
        const folder = e.isDirectory();
        const item = new vscode.CompletionItem(folder ? `${e.name}/` : e.name, folder ? vscode.CompletionItemKind.Folder : vscode.CompletionItemKind.File);
        item.range = range;
        if (folder) {
          item.command = { title: '', command: 'editor.action.triggerSuggest' };
        }
        return item;
      });
  }

  provideCompletionItems(document: vscode.TextDocument, position: vscode.Position): vscode.CompletionItem[] | Promise<vscode.CompletionItem[]> {
    const text = document.getText();
    const headerEnd = text.replace(/\r\n/g, '\n').split('\n').findIndex((l) => l.trim() === '');
    if (headerEnd >= 0 && position.line >= headerEnd) {
      return [];
    }
    const line = document.lineAt(position.line).text;
    const attach = /^Attach:\s*/i.exec(line);
    if (attach && position.character >= attach[0].length) {
      return this.files(line.slice(attach[0].length, position.character), position);
    }
    const match = /^(From|To|Cc|Bcc):\s*/i.exec(line);
    if (!match) {
      return [];
    }
    const before = line.slice(0, position.character);
    const start = Math.max(before.lastIndexOf(',') + 1, match[0].length);
    const typed = before.slice(start).trim();
    const range = new vscode.Range(position.line, start + (before.slice(start).length - before.slice(start).trimStart().length), position.line, position.character);
    if (match[1].toLowerCase() === 'from') {
      return this.accounts.all().flatMap((a) => [a.email, ...(a.addresses ?? [])].map((address) => {
        const item = new vscode.CompletionItem(formatMailbox({ name: a.displayName ?? '', address }), vscode.CompletionItemKind.User);
        item.range = new vscode.Range(position.line, match[0].length, position.line, line.length);
        item.detail = vscode.l10n.t('Send from {0}', a.email);
        return item;
      }));
    }
    const present = parseAddressList(line.slice(match[0].length)).map((m) => m.address);
    return this.addressBook.search(typed, present).map((mailbox, index) => {
      const item = new vscode.CompletionItem({ label: formatMailbox(mailbox), description: mailbox.address }, vscode.CompletionItemKind.User);
      item.insertText = formatMailbox(mailbox);
      item.filterText = `${mailbox.name} ${mailbox.address}`;
      item.range = range;
      item.sortText = String(index).padStart(4, '0');
      return item;
    });
  }

  override dispose(): void {
    this.timers.forEach((t) => clearTimeout(t));
    super.dispose();
  }
}
