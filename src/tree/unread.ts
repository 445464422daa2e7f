// The Mail view's badge and the status bar item: unread mail in the accounts' INBOX, read from the
// same store count as the INBOX row, so the three can never disagree.
import type * as vscode from 'vscode';
import { Disposable } from '../util/dispose';
import { setBadge, t, uiFormat, uiJoin, uiPlain, UiStatusBarItem } from '../util/ui';
import { type MailModel } from './model';
import { type TreeNode } from './nodes';

export class UnreadIndicators extends Disposable {
  private readonly status: UiStatusBarItem;

  constructor(
    private readonly model: MailModel,
    private readonly view: vscode.TreeView<TreeNode>,
  ) {
    super();
    this.status = this._register(new UiStatusBarItem('imapExplorer.unread', 'left', 50, t('Unread Mail')));
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
    const detail = uiJoin(counts.map((c) => uiFormat('{0}: {1}', uiPlain(c.account.label || c.account.email), c.unseen)), '\n');
    setBadge(this.view, total, t('{0} unread in INBOX', total));
    if (total > 0) {
      this.status.update({ icon: 'mail', text: uiFormat('{0}', total), tooltip: uiFormat('{0}\n{1}', t('{0} unread in INBOX', total), detail), accessibilityLabel: t('{0} unread messages', total) });
      this.status.show();
    } else {
      this.status.hide();
    }
  }
}
