// A move (or copy) that survives a connection dropped half-way. When the connection is lost during
// the operation we cannot know from our side what the server did, so we look: which of the
// messages are still in the source (by UID), which are already in the destination (by
// Message-ID), and finish or repeat exactly what is missing. Each message ends in one folder.
import { type ActionTarget, copyMessages, existingUids, expungeUids, findByMessageId, moveMessages, type MoveMethod, setFlags } from './actions';
import { MailError, toMailError } from '../errors';
import { type MailSession } from './session';

export interface MovePlan {
  from: string;
  to: string;
  messages: Array<{ uid: number; messageId?: string }>;
  /** Copy instead of move. */
  copy?: boolean;
}

export interface MoveOutcome {
  /** Source UID to destination UID where known (COPYUID, or found by Message-ID). */
  placed: Map<number, number | undefined>;
  /** Source UIDs that did not move (the server refused or they vanished). */
  notMoved: number[];
  method: MoveMethod | 'COPY';
  leftMarkedDeleted: boolean;
  /** The connection dropped mid-way and the outcome was worked out from the server's state. */
  recovered: boolean;
}

function target(session: MailSession, client: ActionTarget['client']): ActionTarget {
  return { client, refusal: () => session.takeRefusal() };
}

export async function runMove(session: MailSession, plan: MovePlan): Promise<MoveOutcome> {
  const uids = plan.messages.map((m) => m.uid);
  try {
    return await session.withMailbox(plan.from, async (client) => {
      if (plan.copy) {
        const result = await copyMessages(target(session, client), uids, plan.to);
        return { placed: new Map(uids.map((u) => [u, result.uidMap?.get(u)])), notMoved: [], method: 'COPY', leftMarkedDeleted: false, recovered: false };
      }
      const result = await moveMessages(target(session, client), uids, plan.to);
      return { placed: new Map(uids.map((u) => [u, result.uidMap?.get(u)])), notMoved: [], method: result.method, leftMarkedDeleted: result.leftMarkedDeleted, recovered: false };
    });
  } catch (err) {
    const error = toMailError(err);
    if (error.code !== 'DISCONNECTED') {
      throw error;
    }
    return reconcile(session, plan);
  }
}

/** Works out and completes a move or copy whose connection dropped, on a new connection. */
export async function reconcile(session: MailSession, plan: MovePlan): Promise<MoveOutcome> {
  const uids = plan.messages.map((m) => m.uid);
  const ids = plan.messages.map((m) => m.messageId).filter((id): id is string => Boolean(id));
  const inSource = await session.withMailbox(plan.from, (client) => existingUids(client, uids), { idempotent: true });
  const inDestination = await session.withMailbox(plan.to, (client) => findByMessageId(client, ids), { idempotent: true });
  const placed = new Map<number, number | undefined>();
  const both: number[] = [];
  const missing: number[] = [];
  const notMoved: number[] = [];
  for (const m of plan.messages) {
    const there = m.messageId ? inDestination.get(m.messageId) : undefined;
    const here = inSource.has(m.uid);
    if (there !== undefined) {
      placed.set(m.uid, there);
      if (here && !plan.copy) {
        both.push(m.uid);
      }
    } else if (here) {
      missing.push(m.uid);
    } else if (!plan.copy) {
      // gone from the source and not found by Message-ID (none, or not unique): moved, unverified
      placed.set(m.uid, undefined);
    } else {
      notMoved.push(m.uid);
    }
  }
  let leftMarkedDeleted = false;
  await session.withMailbox(plan.from, async (client) => {
    if (both.length) {
      // copied but not yet removed from the source: finish the move, never leave two copies
      leftMarkedDeleted = !(await expungeUids(target(session, client), both)).expunged;
    }
    if (missing.length) {
      // the server never got to these: do them now that we know
      const result = plan.copy ? await copyMessages(target(session, client), missing, plan.to) : await moveMessages(target(session, client), missing, plan.to);
      for (const uid of missing) {
        placed.set(uid, result.uidMap?.get(uid));
      }
      leftMarkedDeleted ||= 'leftMarkedDeleted' in result && Boolean(result.leftMarkedDeleted);
    }
  });
  return { placed, notMoved, method: plan.copy ? 'COPY' : session.has('MOVE') ? 'MOVE' : session.has('UIDPLUS') ? 'COPY+EXPUNGE' : 'COPY+DELETED', leftMarkedDeleted, recovered: true };
}

/**
 * Undoes a move. Where the originals were only marked \Deleted (no UIDPLUS), moving the copies back
 * would duplicate them: the originals get their \Deleted flag back off and the copies are expunged
 * instead. Otherwise the copies move back (their UIDs from COPYUID, or found by Message-ID). Returns which UIDs left
 * `plan.to` and which UIDs the messages have in `plan.from` again (those the server told us:
 * COPYUID, or the originals); views showing either folder follow from these.
 */
export async function undoMove(session: MailSession, plan: MovePlan, outcome: MoveOutcome): Promise<{ left: number[]; restored: number[] }> {
  if (!outcome.leftMarkedDeleted) {
    const back = await moveBack(session, plan, outcome);
    return { left: [...back.placed.keys()], restored: [...back.placed.values()].filter((u): u is number => u !== undefined) };
  }
  const copies = await destinationUids(session, plan, outcome);
  const originals = plan.messages.map((m) => m.uid);
  await session.withMailbox(plan.from, (client) => setFlags(target(session, client), originals, ['\\Deleted'], false), { idempotent: true });
  if (copies.length) {
    await session.withMailbox(plan.to, (client) => expungeUids(target(session, client), copies), { idempotent: true });
  }
  return { left: copies, restored: originals };
}

async function destinationUids(session: MailSession, plan: MovePlan, outcome: MoveOutcome): Promise<number[]> {
  const uids = [...outcome.placed.values()].filter((u): u is number => u !== undefined);
  const unknown = plan.messages.filter((m) => outcome.placed.has(m.uid) && outcome.placed.get(m.uid) === undefined);
  if (!unknown.length) {
    return uids;
  }
  const ids = unknown.map((m) => m.messageId).filter((id): id is string => Boolean(id));
  const found = await session.withMailbox(plan.to, (client) => findByMessageId(client, ids), { idempotent: true });
  return [...uids, ...found.values()];
}

/** Moves messages back where they came from. Destination UIDs come from the outcome or by Message-ID. */
export async function moveBack(session: MailSession, plan: MovePlan, outcome: MoveOutcome): Promise<MoveOutcome> {
  const uids = await destinationUids(session, plan, outcome);
  if (!uids.length) {
    throw new MailError('NOT_FOUND', `The messages are no longer in "${plan.to}"; nothing to undo.`);
  }
  const byDestUid = new Map(plan.messages.map((m) => [outcome.placed.get(m.uid), m.messageId]));
  return runMove(session, {
    from: plan.to,
    to: plan.from,
    messages: uids.map((uid) => ({ uid, ...(byDestUid.get(uid) ? { messageId: byDestUid.get(uid) } : {}) })),
  });
}
