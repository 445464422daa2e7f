// Conversations of a folder: the folder's newest messages (its window, fetched with their
// References header) grouped into conversations, completed with the older messages of those
// conversations and with your replies from Sent.
//
//   1. the window: one UID FETCH of the newest messages with the header page's fields (Message-ID,
//      In-Reply-To among them) and References, in one BODY.PEEK[HEADER.FIELDS (...)]
//   2. the older members: the root of each conversation whose root is not in the window is named by
//      its messages' References (RFC 5322 3.6.4: the first id is the root); one command finds the
//      root and every older message that names it:
//        with THREAD (RFC 5256): UID THREAD REFS|REFERENCES UTF-8 OR UID <window> (OR HEADER
//        Message-ID <root> HEADER References <root> ...), which also groups them on the server;
//        without: UID SEARCH UID 1:<below window> OR HEADER Message-ID <root> ...
//      then one UID FETCH of what was found. The search looks LOOK_BACK messages below the window;
//      windowConversations() shows the window's own grouping before it answers.
//   3. Sent (when the caller can search another folder, on another connection, at the same time):
//      UID SEARCH OR HEADER In-Reply-To <id> OR HEADER References <id> ... for the ids of the
//      conversations, and one UID FETCH.
//   4. the groups: the server's threads where it threaded, split again wherever only a subject
//      (REFERENCES step 5) holds messages together; otherwise JWZ on the client. Never by subject.
import { type ImapFlow, type MailboxObject } from 'imapflow';
import { HEADER_QUERY, type MessageSummary, toSummary, uidSet } from '../mail/headers';
import { splitHeaderBlock } from '../render/headerFields';
import { type SearchKey } from '../search/compile';
import { uidSearch } from '../search/folderSearch';
import { ancestorsOf, keysOf, parseMessageIds, type ThreadInput, threadMessages } from './jwz';
import { serverThreads, type ThreadMethod, threadMethod } from './serverThread';

/** A message of a conversation: where it lives, its header data and its References. */
export interface ThreadedMessage {
  path: string;
  message: MessageSummary;
  references: string[];
}

export interface Conversation {
  /** Stable while the conversation exists: its root's Message-ID, else the first message's folder and UID. */
  id: string;
  /** Oldest first. */
  messages: ThreadedMessage[];
}

export interface ConversationPage {
  /** Newest activity first. */
  conversations: Conversation[];
  method: ThreadMethod;
  /** Older messages of the folder found for conversations of the window. */
  older: number;
  /** Messages found in Sent. */
  fromSent: number;
  /** The window's oldest UID: "Load more" extends the window below it. */
  windowMinUid: number;
}

/** The header page's items plus the References field (RFC 5322 3.6.4), in the same header block. */
export const CONVERSATION_QUERY = { ...HEADER_QUERY, headers: [...HEADER_QUERY.headers, 'references'] };

/** The References ids of a fetched header block (`References: <a> <b>`, folded or not, among other fields). */
export function referencesOf(headers: Buffer | undefined): string[] {
  if (!headers?.length) {
    return [];
  }
  const field = splitHeaderBlock(headers).find((f) => f.key === 'references');
  return field ? parseMessageIds(field.value.toString('latin1')) : [];
}

/** One UID FETCH of header data and References (what threading needs) for these UIDs or this range. */
export async function fetchThreaded(client: ImapFlow, path: string, set: string): Promise<ThreadedMessage[]> {
  const out: ThreadedMessage[] = [];
  if (!set) {
    return out;
  }
  for await (const message of client.fetch(set, CONVERSATION_QUERY, { uid: true })) {
    out.push({ path, message: toSummary(message), references: referencesOf(message.headers) });
  }
  return out;
}

/**
 * The newest `count` messages below `belowUid` (all when undefined) with their References: one
 * UID FETCH of a UID range from UIDNEXT down, widened (rarely) when UIDs are sparse.
 */
export async function fetchWindow(client: ImapFlow, mailbox: MailboxObject, count: number, belowUid?: number): Promise<ThreadedMessage[]> {
  const top = (belowUid ?? mailbox.uidNext) - 1;
  const byUid = new Map<number, ThreadedMessage>();
  let width = count;
  let hi = top;
  for (let round = 0; round < 16 && hi >= 1 && byUid.size < count; round++) {
    const lo = Math.max(1, hi - width + 1);
    for (const m of await fetchThreaded(client, mailbox.path, `${lo}:${hi}`)) {
      // "n:m" beyond the highest UID still returns the highest message (RFC 3501 6.4.8)
      if (m.message.uid >= lo && m.message.uid <= hi) {
        byUid.set(m.message.uid, m);
      }
    }
    hi = lo - 1;
    width *= 2;
  }
  return [...byUid.values()].sort((a, b) => b.message.uid - a.message.uid).slice(0, count);
}

function inputOf(m: ThreadedMessage): ThreadInput {
  return {
    key: `${m.path}\u0000${m.message.uid}`,
    ...(m.message.messageId ? { messageId: m.message.messageId } : {}),
    ...(m.message.inReplyTo ? { inReplyTo: m.message.inReplyTo } : {}),
    references: m.references,
  };
}

/** The id of the conversation a message belongs to, as far as its own headers tell. */
function rootIdOf(m: ThreadedMessage): string | undefined {
  return ancestorsOf(inputOf(m))[0] ?? m.message.messageId;
}

const MAX_IDS_PER_COMMAND = 30;

/** The root itself, and every message that names it (References, or In-Reply-To for replies without References). */
function relativesKey(roots: string[]): SearchKey {
  return {
    op: 'or',
    keys: roots.flatMap((id) => [
      { op: 'header', field: 'Message-ID', value: id },
      { op: 'header', field: 'References', value: id },
      { op: 'header', field: 'In-Reply-To', value: id },
    ] as SearchKey[]),
  };
}

function repliesKey(ids: string[]): SearchKey {
  return { op: 'or', keys: ids.flatMap((id) => [{ op: 'header', field: 'In-Reply-To', value: id }, { op: 'header', field: 'References', value: id }] as SearchKey[]) };
}

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) {
    out.push(list.slice(i, i + size));
  }
  return out;
}

/**
 * How many messages below the window the older members of its conversations are looked for in.
 * Finding them is a header search the server runs message by message (References is rarely in
 * its cache): 20,000 messages take Dovecot about a second, a 100,000-message folder five.
 */
export const LOOK_BACK = 20_000;

export interface BuildOptions {
  /** Use the client's threading even when the server has THREAD (tests, and servers whose THREAD is broken). */
  clientOnly?: boolean;
  /** Look for older messages of the window's conversations (default true). */
  completeOlder?: boolean;
  /** How many UIDs below the window to look in (default LOOK_BACK). */
  lookBack?: number;
  /**
   * Finds replies in Sent on another connection: gets the Message-IDs of the conversations and
   * returns Sent's messages that answer one of them (see findReplies). Runs alongside step 2.
   */
  sent?: (ids: string[]) => Promise<ThreadedMessage[]>;
}

/**
 * Groups a folder's window into conversations (see the file comment). The caller holds the
 * folder's mailbox lock; `window` came from fetchWindow (newest first).
 */
export async function buildConversations(client: ImapFlow, mailbox: MailboxObject, window: ThreadedMessage[], options: BuildOptions = {}): Promise<ConversationPage> {
  const method: ThreadMethod = options.clientOnly ? 'client' : threadMethod(client.capabilities);
  const path = mailbox.path;
  const windowMinUid = window.length ? Math.min(...window.map((m) => m.message.uid)) : 0;
  const known = new Set(window.flatMap((m) => (m.message.messageId ? [m.message.messageId] : [])));
  const missingRoots = [...new Set(window.map(rootIdOf).filter((id): id is string => Boolean(id) && !known.has(id!)))];
  const sentPromise = options.sent ? options.sent([...new Set([...known, ...window.flatMap((m) => m.references)])]) : Promise.resolve([]);

  const older: ThreadedMessage[] = [];
  const groups: string[][] = [];
  const lookBack = options.completeOlder !== false && windowMinUid > 1 && missingRoots.length > 0;
  const below = `${Math.max(1, windowMinUid - (options.lookBack ?? LOOK_BACK))}:${windowMinUid - 1}`;
  if (method !== 'client' && window.length) {
    const windowSet: SearchKey = { op: 'uid', set: uidSet(window.map((m) => m.message.uid)) };
    const idChunks = lookBack ? chunks(missingRoots, MAX_IDS_PER_COMMAND) : [[]];
    const olderUids = new Set<number>();
    for (const ids of idChunks) {
      const criteria: SearchKey = ids.length ? { op: 'or', keys: [windowSet, { op: 'and', keys: [{ op: 'uid', set: below }, relativesKey(ids)] }] } : windowSet;
      for (const thread of await serverThreads(client, method, criteria)) {
        const uids = keysOf(thread).map(Number);
        groups.push(uids.map((uid) => `${path}\u0000${uid}`));
        for (const uid of uids) {
          if (uid < windowMinUid) {
            olderUids.add(uid);
          }
        }
      }
    }
    older.push(...(await fetchThreaded(client, path, uidSet(olderUids))));
  } else if (lookBack) {
    const found = new Set<number>();
    for (const ids of chunks(missingRoots, MAX_IDS_PER_COMMAND)) {
      const { uids } = await uidSearch(client, { op: 'and', keys: [{ op: 'uid', set: below }, relativesKey(ids)] });
      for (const uid of uids.newest(Number.MAX_SAFE_INTEGER)) {
        found.add(uid);
      }
    }
    older.push(...(await fetchThreaded(client, path, uidSet(found))));
  }
  const fromSent = await sentPromise;
  const all = [...window, ...older, ...fromSent];
  return { conversations: group(all, groups), method, older: older.length, fromSent: fromSent.length, windowMinUid };
}

/**
 * The window's conversations as far as the window itself tells (no command: JWZ over what it
 * fetched), to show at once while buildConversations() looks for older members and Sent.
 */
export function windowConversations(window: ThreadedMessage[]): ConversationPage {
  return {
    conversations: group(window),
    method: 'client',
    older: 0,
    fromSent: 0,
    windowMinUid: window.length ? Math.min(...window.map((m) => m.message.uid)) : 0,
  };
}

/**
 * Messages of `path` (Sent) that reply to one of `ids`: UID SEARCH OR HEADER In-Reply-To <id> OR
 * HEADER References <id> ..., then one UID FETCH. The caller holds that folder's mailbox lock.
 */
export async function findReplies(client: ImapFlow, path: string, ids: string[]): Promise<ThreadedMessage[]> {
  const found = new Set<number>();
  for (const chunk of chunks([...new Set(ids)], MAX_IDS_PER_COMMAND)) {
    const { uids } = await uidSearch(client, repliesKey(chunk));
    for (const uid of uids.newest(Number.MAX_SAFE_INTEGER)) {
      found.add(uid);
    }
  }
  return fetchThreaded(client, path, uidSet(found));
}

/**
 * The conversations of these messages: JWZ without subject grouping, inside each of the server's
 * groups when there are some (so a server that merged by subject is split again); messages the
 * server did not thread (from Sent) join the conversation whose ids they name.
 */
export function group(messages: ThreadedMessage[], serverGroups: string[][] = []): Conversation[] {
  const byKey = new Map<string, ThreadedMessage>();
  for (const m of messages) {
    byKey.set(`${m.path}\u0000${m.message.uid}`, m);
  }
  const members = (keys: string[]) => keys.flatMap((k) => (byKey.has(k) ? [byKey.get(k)!] : []));
  let sets: ThreadedMessage[][];
  if (serverGroups.length) {
    sets = serverGroups.flatMap((keys) => threadMessages(members(keys).map(inputOf)).map((root) => members(keysOf(root))));
    const grouped = new Set(serverGroups.flat());
    const setOfId = new Map<string, number>();
    const index = (m: ThreadedMessage, i: number) => {
      for (const id of [m.message.messageId, ...ancestorsOf(inputOf(m))]) {
        if (id && !setOfId.has(id)) {
          setOfId.set(id, i);
        }
      }
    };
    sets.forEach((set, i) => set.forEach((m) => index(m, i)));
    for (const [key, m] of byKey) {
      if (grouped.has(key)) {
        continue;
      }
      const found = [m.message.messageId, ...ancestorsOf(inputOf(m))].map((id) => (id ? setOfId.get(id) : undefined)).find((i) => i !== undefined);
      if (found !== undefined) {
        sets[found].push(m);
      } else {
        sets.push([m]);
        index(m, sets.length - 1);
      }
    }
  } else {
    sets = threadMessages([...byKey.values()].map(inputOf)).map((root) => members(keysOf(root)));
  }
  const conversations: Conversation[] = [];
  for (const set of sets) {
    if (!set.length) {
      continue;
    }
    set.sort((a, b) => arrival(a) - arrival(b) || a.message.uid - b.message.uid);
    const rootId = rootIdOf(set[0]);
    conversations.push({ id: rootId ?? `${set[0].path}\u0000${set[0].message.uid}`, messages: set });
  }
  return conversations.sort((a, b) => latest(b) - latest(a));
}

function arrival(m: ThreadedMessage): number {
  const date = m.message.internalDate ?? m.message.date;
  return date ? date.getTime() : 0;
}

/** When the conversation last changed: its newest message's arrival. */
export function latest(conversation: Conversation): number {
  return Math.max(...conversation.messages.map(arrival));
}

/** Unread messages of a conversation. */
export function unreadCount(conversation: Conversation): number {
  return conversation.messages.filter((m) => !m.message.flags.includes('\\Seen')).length;
}

/** The newest message's subject (what a conversation row shows). */
export function conversationSubject(conversation: Conversation): string {
  return conversation.messages[conversation.messages.length - 1].message.subject;
}

/** Who takes part, in order of first appearance, by display name (else address). */
export function participants(conversation: Conversation): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const m of conversation.messages) {
    for (const a of m.message.from) {
      const who = (a.name || a.address || '').trim();
      const key = (a.address || who).toLowerCase();
      if (who && !seen.has(key)) {
        seen.add(key);
        out.push(who);
      }
    }
  }
  return out;
}

/** One conversation of one folder, as a quick filter keeps it (see conversationOf). */
export interface FolderConversation {
  /** UIDs of the folder's messages in the conversation, ascending. */
  uids: number[];
  /** Message-IDs of the conversation (its messages' own and the ids they name), at most MAX_IDS_PER_COMMAND. */
  ids: string[];
  /** The newest message's subject. */
  subject: string;
}

/**
 * The conversation a message of `path` belongs to, within that folder: one UID FETCH of the
 * message's References, one UID SEARCH for every message that is or names one of those ids (OR
 * HEADER Message-ID / References / In-Reply-To, in chunks of MAX_IDS_PER_COMMAND), one UID FETCH of
 * what it found, then JWZ (never by subject) to keep only the message's own conversation. The
 * caller holds the folder's mailbox lock.
 *
 * @returns undefined when the message is gone.
 */
export async function conversationOf(client: ImapFlow, path: string, uid: number): Promise<FolderConversation | undefined> {
  const [self] = await fetchThreaded(client, path, String(uid));
  if (!self) {
    return undefined;
  }
  const ids = [...new Set([self.message.messageId, self.message.inReplyTo, ...self.references].filter((id): id is string => Boolean(id)))];
  const found = new Set<number>([uid]);
  for (const chunk of chunks(ids, MAX_IDS_PER_COMMAND)) {
    const { uids } = await uidSearch(client, relativesKey(chunk));
    for (const u of uids.newest(Number.MAX_SAFE_INTEGER)) {
      found.add(u);
    }
  }
  const messages = found.size > 1 ? await fetchThreaded(client, path, uidSet(found)) : [self];
  const mine = group(messages).find((c) => c.messages.some((m) => m.message.uid === uid)) ?? { id: '', messages: [self] };
  const allIds = new Set<string>();
  for (const m of mine.messages) {
    for (const id of [m.message.messageId, ...ancestorsOf(inputOf(m))]) {
      if (id) {
        allIds.add(id);
      }
    }
  }
  return {
    uids: mine.messages.map((m) => m.message.uid).sort((a, b) => a - b),
    // the newest ids first: a new reply names its parent, the newest message most likely
    ids: [...allIds].reverse().slice(0, MAX_IDS_PER_COMMAND),
    subject: conversationSubject(mine),
  };
}

/**
 * The search key of a conversation kept as a filter: its messages, and any message above the
 * newest of them that is or names one of its ids (a reply that arrives later).
 */
export function conversationKey(conversation: FolderConversation): SearchKey {
  const top = Math.max(0, ...conversation.uids);
  const members: SearchKey = { op: 'uid', set: uidSet(conversation.uids) };
  if (!conversation.ids.length) {
    return members;
  }
  return { op: 'or', keys: [members, { op: 'and', keys: [{ op: 'uid', set: `${top + 1}:*` }, relativesKey(conversation.ids)] }] };
}
