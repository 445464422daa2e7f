// Which messages a triage command acts on: the rows it was invoked on (context menu, inline
// icon: VS Code passes the clicked row and the whole selection), the selection of the Mail or the
// Search view (keyboard), or the message shown in the message view (its toolbar, or the palette
// while it is active). Rows of both views are MessageRows (messageSets.ts).
import { type AccountConfig } from '../core/account';
import { HitNode } from '../search/nodes';
import { type MailModel } from '../tree/model';
import { type MessageRef, MessageNode } from '../tree/nodes';
import { groupMessages, type MessageRow, type MessageSet } from './messageSets';

export { groupMessages, type MessageRow, type MessageSet } from './messageSets';

/** Which view a keybinding was pressed in (its `args.source`): the Mail view ('tree') or the Search view. */
export type SelectionSource = 'tree' | 'search';

export interface TargetDeps {
  model: MailModel;
  /**
   * The selection of a view, once VS Code drew the rows it shows: of `source`, or without it of
   * the view (Mail or Search) whose selection changed last.
   */
  selection(source?: SelectionSource): Promise<readonly unknown[]>;
  /** The message in the active message view, if one is active. */
  activeMessage(): { ref: MessageRef; flags: string[]; messageId?: string; subject?: string } | undefined;
  account(id: string): AccountConfig | undefined;
}

/** A message row of the Mail view or of the Search view. */
export function isMessageRow(value: unknown): value is MessageRow & (MessageNode | HitNode) {
  return value instanceof MessageNode || value instanceof HitNode;
}

function isRef(value: unknown): value is MessageRef {
  const v = value as MessageRef | undefined;
  return Boolean(v) && typeof v!.accountId === 'string' && typeof v!.path === 'string' && Number.isInteger(v!.uid);
}

function sourceOf(args: unknown[]): SelectionSource | undefined {
  const source = (args[0] as { source?: string } | undefined)?.source;
  return source === 'tree' || source === 'search' ? source : undefined;
}

export async function resolveTargets(args: unknown[], deps: TargetDeps): Promise<MessageSet[]> {
  const [first, second] = args;
  if (isMessageRow(first)) {
    // a context menu passes the clicked row and the selection; act on the selection when the
    // clicked row is part of it, as file explorers do
    const selected = Array.isArray(second) ? second.filter(isMessageRow) : [];
    return groupMessages(selected.includes(first) ? selected : [first], deps.account);
  }
  if (isRef(first)) {
    // a view that shows messages the Mail view has not listed (the conversation view) passes the
    // reference with its flags, and for an action on several messages all of them as the second
    // argument: one set per folder, so one command and one Undo for them all
    const refs = Array.isArray(second) && second.some(isRef) ? second.filter(isRef) : [first];
    const active = deps.activeMessage();
    return groupMessages(refs.map((ref) => {
      const known = deps.model.summaryOf(ref);
      const fallback = active && active.ref.uid === ref.uid && active.ref.path === ref.path ? active : undefined;
      const given = (ref as { flags?: unknown }).flags;
      const flags = Array.isArray(given) && given.every((f) => typeof f === 'string') ? (given as string[]) : undefined;
      return {
        accountId: ref.accountId,
        path: ref.path,
        uidValidity: ref.uidValidity,
        summary: known ?? { uid: ref.uid, flags: flags ?? fallback?.flags ?? [], messageId: fallback?.messageId, subject: fallback?.subject ?? '' },
      };
    }), deps.account);
  }
  const source = sourceOf(args);
  const active = source ? undefined : deps.activeMessage();
  if (active) {
    return resolveTargets([active.ref], deps);
  }
  const selected = await deps.selection(source);
  return groupMessages(selected.filter(isMessageRow), deps.account);
}
