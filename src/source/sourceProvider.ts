// "View Source": the raw message in a read-only editor, through a content provider with its own
// URI scheme. Large messages are cut (a 25 MB attachment is not useful as text).
import * as vscode from 'vscode';
import { type SessionPool } from '../accounts/sessions';
import { fetchSource } from '../core/mail/messageLoader';
import { type MessageRef } from '../tree/nodes';

export const SOURCE_SCHEME = 'imap-explorer-source';
const MAX_SOURCE_BYTES = 5 * 1024 * 1024;

export function sourceUri(ref: MessageRef): vscode.Uri {
  const query = new URLSearchParams({ account: ref.accountId, folder: ref.path, uid: String(ref.uid), ...(ref.uidValidity ? { v: ref.uidValidity } : {}) });
  const name = `${ref.path.split(/[./]/).pop() || 'message'}-${ref.uid}.eml`.replace(/[^\w.-]+/g, '_');
  return vscode.Uri.from({ scheme: SOURCE_SCHEME, path: `/${name}`, query: query.toString() });
}

export function refFromSourceUri(uri: vscode.Uri): MessageRef | undefined {
  const query = new URLSearchParams(uri.query);
  const uid = Number(query.get('uid'));
  const accountId = query.get('account');
  const path = query.get('folder');
  if (!accountId || !path || !Number.isInteger(uid) || uid <= 0) {
    return undefined;
  }
  const v = query.get('v');
  return { accountId, path, uid, ...(v ? { uidValidity: v } : {}) };
}

export class MessageSourceProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly sessions: SessionPool) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const ref = refFromSourceUri(uri);
    if (!ref) {
      return vscode.l10n.t('Invalid message reference.');
    }
    const { source, truncated } = await this.sessions.bulk(ref.accountId).withMailbox(ref.path, (client) => fetchSource(client, ref.uid, MAX_SOURCE_BYTES), { idempotent: true });
    const text = source.toString('utf8');
    return truncated ? `${text}\n\n[${vscode.l10n.t('Cut after {0} MB: the message is larger.', MAX_SOURCE_BYTES / 1024 / 1024)}]\n` : text;
  }
}
