// What makes a draft feel like a mail editor: a CodeLens line with Send / Save Draft / Discard /
// Attach, completion of addresses on To/Cc/Bcc (and of the account's addresses on From), and a
// save shortly after each change, so the file on disk always holds what was typed.
import * as vscode from 'vscode';
import { type AccountStore } from '../accounts/accountStore';
import { formatMailbox, parseAddressList } from '../core/compose/addresses';
import { Disposable } from '../util/dispose';
import { type AddressBook } from './addressBook';
import { type DraftStore } from './draftStore';

export const DRAFT_LANGUAGE = 'imap-explorer-draft';

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
    this._register(vscode.languages.registerCompletionItemProvider(selector, this, ':', ',', ' '));
    this._register(vscode.workspace.onDidChangeTextDocument((e) => this.scheduleSave(e.document)));
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

  provideCompletionItems(document: vscode.TextDocument, position: vscode.Position): vscode.CompletionItem[] {
    const text = document.getText();
    const headerEnd = text.replace(/\r\n/g, '\n').split('\n').findIndex((l) => l.trim() === '');
    if (headerEnd >= 0 && position.line >= headerEnd) {
      return [];
    }
    const line = document.lineAt(position.line).text;
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
