// .eml files open in the same message view as IMAP mail (a read-only custom editor), with the
// same sanitizing, sandbox and remote-content blocking.
import * as vscode from 'vscode';
import { MailError } from '../core/errors';
import { type MessageSource, MessageView, type MessageViewDeps } from '../messageView/messageView';
import { rawMessageSource } from '../messageView/rawSource';

export const EML_VIEW_TYPE = 'imapExplorer.eml';
const MAX_EML_BYTES = 64 * 1024 * 1024;

export class EmlEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly deps: MessageViewDeps) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const view = new MessageView(panel.webview, this.deps, (title) => (panel.title = title));
    panel.onDidDispose(() => view.dispose());
    // not awaited: VS Code shows a custom editor's webview only once this method returns, so
    // awaiting the load and render would hide the "Preparing" state (and the editor) until the
    // render worker is done. show() reports its own errors in the view.
    void view.show(fileSource(document.uri));
  }
}

async function readMessageFile(uri: vscode.Uri): Promise<Buffer> {
  try {
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.size > MAX_EML_BYTES) {
      throw new MailError('INVALID_INPUT', vscode.l10n.t('This file is larger than {0} MB; open it as text instead.', MAX_EML_BYTES / 1024 / 1024));
    }
    return Buffer.from(await vscode.workspace.fs.readFile(uri));
  } catch (err) {
    if (err instanceof MailError) {
      throw err;
    }
    // a document from a content provider (no file system behind it) is still text
    return Buffer.from((await vscode.workspace.openTextDocument(uri)).getText(), 'utf8');
  }
}

function fileSource(uri: vscode.Uri): MessageSource {
  return rawMessageSource(uri.path.split('/').pop() ?? 'message.eml', uri.toString(), () => readMessageFile(uri));
}
