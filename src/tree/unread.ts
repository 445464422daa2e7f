// The Mail view's badge and the status bar item: unread mail in the accounts' INBOX, read from the
// same store count as the INBOX row, so the three can never disagree.
import * as vscode from 'vscode';
import { plainLabel } from '../core/text';
import { Disposable } from '../util/dispose';
import { type MailModel } from './model';
import { type TreeNode } from './nodes';

export class UnreadIndicators extends Disposable {
  private readonly status: vscode.StatusBarItem;

  constructor(
    private readonly model: MailModel,
    private readonly view: vscode.TreeView<TreeNode>,
  ) {
    super();
    this.status = this._register(vscode.window.createStatusBarItem('imapExplorer.unread', vscode.StatusBarAlignment.Left, 50));
    this.status.name = vscode.l10n.t('Unread Mail');
    this.status.command = 'imapExplorer.mailboxes.focus';
    this._register(model.onDidChange(({ event }) => {
      if (event.counts.has('INBOX')) {
        this.render();
      }
    }));
    this._register(model.onDidChangeAccounts(() => this.render()));
    this.render();
  }

  private render(): void {
    const counts = this.model.inboxUnseen();
    const total = counts.reduce((sum, c) => sum + c.unseen, 0);
    const detail = counts.map((c) => `${plainLabel(c.account.label || c.account.email)}: ${c.unseen}`).join('\n');
    this.view.badge = total > 0 ? { value: total, tooltip: vscode.l10n.t('{0} unread in INBOX', total) } : undefined;
    if (total > 0) {
      this.status.text = `$(mail) ${total}`;
      this.status.tooltip = `${vscode.l10n.t('{0} unread in INBOX', total)}\n${detail}`;
      this.status.accessibilityInformation = { label: vscode.l10n.t('{0} unread messages', total) };
      this.status.show();
    } else {
      this.status.hide();
    }
  }
}
