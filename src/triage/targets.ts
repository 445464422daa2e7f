// Which messages a triage command acts on: the rows it was invoked on (context menu, inline
// icon: VS Code passes the clicked row and the whole selection), the tree selection (keyboard),
// or the message shown in the message view (its toolbar, or the palette while it is active).
import { type AccountConfig } from '../core/account';
import { type MessageSummary } from '../core/mail/headers';
import { type MailModel } from '../tree/model';
import { type MessageRef, MessageNode, type TreeNode } from '../tree/nodes';

export interface MessageSet {
  account: AccountConfig;
  path: string;
  uidValidity?: string;
  /** What we know of each message: at least the UID; flags and Message-ID when the tree has them. */
  messages: Array<Pick<MessageSummary, 'uid' | 'flags' | 'messageId' | 'subject'>>;
}

export interface TargetDeps {
  model: MailModel;
  /** The tree's selection, once VS Code drew the rows it shows. */
  selection(): Promise<readonly TreeNode[]>;
  /** The message in the active message view, if one is active. */
  activeMessage(): { ref: MessageRef; flags: string[]; messageId?: string; subject?: string } | undefined;
  account(id: string): AccountConfig | undefined;
}

function isRef(value: unknown): value is MessageRef {
  const v = value as MessageRef | undefined;
  return Boolean(v) && typeof v!.accountId === 'string' && typeof v!.path === 'string' && Number.isInteger(v!.uid);
}

function fromTree(source: 'tree' | undefined, args: unknown[]): boolean {
  return source === 'tree' || (args[0] as { source?: string } | undefined)?.source === 'tree';
}

/** Groups messages by folder: every action is one IMAP command per folder. */
export function groupMessages(nodes: MessageNode[]): MessageSet[] {
  const sets = new Map<string, MessageSet>();
  for (const node of nodes) {
    const key = `${node.account.id}\u0000${node.folderNode.path}`;
    let set = sets.get(key);
    if (!set) {
      set = { account: node.account, path: node.folderNode.path, uidValidity: node.uidValidity, messages: [] };
      sets.set(key, set);
    }
    set.messages.push(node.summary);
  }
  return [...sets.values()];
}

export async function resolveTargets(args: unknown[], deps: TargetDeps): Promise<MessageSet[]> {
  const [first, second] = args;
  if (first instanceof MessageNode) {
    // a context menu passes the clicked row and the selection; act on the selection when the
    // clicked row is part of it, as file explorers do
    const selected = Array.isArray(second) ? second.filter((n): n is MessageNode => n instanceof MessageNode) : [];
    return groupMessages(selected.includes(first) ? selected : [first]);
  }
  if (isRef(first)) {
    const account = deps.account(first.accountId);
    if (!account) {
      return [];
    }
    const known = deps.model.summaryOf(first);
    const active = deps.activeMessage();
    const fallback = active && active.ref.uid === first.uid && active.ref.path === first.path ? active : undefined;
    // a view that shows a message the Mail view has not listed (the conversation view) passes its flags with the reference
    const given = (first as { flags?: unknown }).flags;
    const flags = Array.isArray(given) && given.every((f) => typeof f === 'string') ? (given as string[]) : undefined;
    return [{
      account,
      path: first.path,
      ...(first.uidValidity ? { uidValidity: first.uidValidity } : {}),
      messages: [known ?? { uid: first.uid, flags: flags ?? fallback?.flags ?? [], messageId: fallback?.messageId, subject: fallback?.subject ?? '' }],
    }];
  }
  const active = fromTree(undefined, args) ? undefined : deps.activeMessage();
  if (active) {
    return resolveTargets([active.ref], deps);
  }
  const selected = await deps.selection();
  return groupMessages(selected.filter((n): n is MessageNode => n instanceof MessageNode));
}
