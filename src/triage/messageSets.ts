// The rows a triage action can take (a Mail view message, a Search view hit) and how they are
// grouped: one set per account and folder, so that every action is one IMAP command per folder.
// No `vscode` import: unit tests use it directly.
import { type AccountConfig } from '../core/account';
import { type MessageSummary } from '../core/mail/headers';

/** A message row of either view: where the message is (account id, folder path, UIDVALIDITY) and its headers. */
export interface MessageRow {
  readonly accountId: string;
  readonly path: string;
  readonly uidValidity: string | undefined;
  readonly summary: MessageSummary;
}

export interface MessageSet {
  account: AccountConfig;
  path: string;
  uidValidity?: string;
  /** What we know of each message: at least the UID; flags and Message-ID when the tree has them. */
  messages: Array<Pick<MessageSummary, 'uid' | 'flags' | 'messageId' | 'subject'>>;
}

/**
 * Groups rows by account and folder, in the order the rows came (first row of a folder first);
 * a UID selected twice (the same message under a result and a conversation) is taken once. Rows of
 * an account that is gone (`accountOf` gives undefined) are left out.
 */
export function groupMessages(rows: ReadonlyArray<Omit<MessageRow, 'summary'> & { readonly summary: MessageSet['messages'][number] }>, accountOf: (accountId: string) => AccountConfig | undefined): MessageSet[] {
  const sets = new Map<string, MessageSet>();
  for (const row of rows) {
    const account = accountOf(row.accountId);
    if (!account) {
      continue;
    }
    const key = `${row.accountId}\u0000${row.path}`;
    let set = sets.get(key);
    if (!set) {
      set = { account, path: row.path, ...(row.uidValidity ? { uidValidity: row.uidValidity } : {}), messages: [] };
      sets.set(key, set);
    }
    if (!set.uidValidity && row.uidValidity) {
      set.uidValidity = row.uidValidity;
    }
    if (!set.messages.some((m) => m.uid === row.summary.uid)) {
      set.messages.push(row.summary);
    }
  }
  return [...sets.values()];
}
