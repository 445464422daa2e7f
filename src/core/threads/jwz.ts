// Threading on the client: Jamie Zawinski's algorithm (https://www.jwz.org/doc/threading.html,
// the one RFC 5256's REFERENCES describes) over Message-ID, In-Reply-To and References. Step 5,
// grouping root messages by subject, is left out on purpose: messages are put together only when
// their headers say they belong together, never because two subjects read alike ("Re: Invoice").
//
// The ids come from senders: at most MAX_REFERENCES of them per message are used (the first, the
// root of the conversation, and the last ones, its nearest ancestors), loops are refused, and
// every step is linear in the number of messages and references.

/** A message as threading sees it. `key` tells messages apart (folder and UID), ids may repeat. */
export interface ThreadInput {
  key: string;
  messageId?: string;
  inReplyTo?: string;
  /** The References header's ids, oldest first (RFC 5322 3.6.4). */
  references?: string[];
}

/** A node of a conversation tree: a message, or a parent known only from the ids (a dummy). */
export interface ThreadNode {
  key?: string;
  messageId?: string;
  children: ThreadNode[];
}

export const MAX_REFERENCES = 50;
const MAX_DEPTH = 1000;

/**
 * The Message-IDs in a header value (References, In-Reply-To), in order: every `<...>` that holds
 * an "@" (RFC 5322 msg-id), lower-cased domain kept as sent. Linear in the header's length.
 */
export function parseMessageIds(header: string | undefined, limit = MAX_REFERENCES * 4): string[] {
  const ids: string[] = [];
  if (!header) {
    return ids;
  }
  let i = 0;
  while (i < header.length && ids.length < limit) {
    const open = header.indexOf('<', i);
    if (open < 0) {
      break;
    }
    const close = header.indexOf('>', open + 1);
    if (close < 0) {
      break;
    }
    // "<a <b@c>": only the last "<" before the ">" can start the id. Found walking back from the
    // ">", so each character is looked at a bounded number of times: a run of "<" stays linear.
    const start = header.lastIndexOf('<', close);
    const inner = header.slice(start + 1, close).trim();
    if (inner.includes('@') && !/\s/.test(inner)) {
      ids.push(`<${inner}>`);
    }
    i = close + 1;
  }
  return ids;
}

/** The ids a message names as its ancestors, oldest first: References, else In-Reply-To (JWZ step 1A). */
export function ancestorsOf(message: Pick<ThreadInput, 'inReplyTo' | 'references' | 'messageId'>): string[] {
  let refs = (message.references ?? []).filter((id) => id !== message.messageId);
  const parent = message.inReplyTo && parseMessageIds(message.inReplyTo)[0];
  if (!refs.length && parent && parent !== message.messageId) {
    refs = [parent];
  }
  if (refs.length > MAX_REFERENCES) {
    refs = [refs[0], ...refs.slice(refs.length - (MAX_REFERENCES - 1))];
  }
  return refs;
}

interface Container {
  id: string;
  key?: string;
  messageId?: string;
  parent?: Container;
  children: Container[];
}

/** Whether `candidate` is `of` or one of its ancestors; a chain deeper than MAX_DEPTH counts as a loop. */
function isAncestor(candidate: Container, of: Container): boolean {
  let node: Container | undefined = of;
  for (let depth = 0; node; depth++) {
    if (node === candidate || depth > MAX_DEPTH) {
      return true;
    }
    node = node.parent;
  }
  return false;
}

function link(parent: Container, child: Container): void {
  if (child.parent === parent) {
    return;
  }
  if (child.parent) {
    const siblings = child.parent.children;
    siblings.splice(siblings.indexOf(child), 1);
  }
  child.parent = parent;
  parent.children.push(child);
}

/**
 * Threads messages into conversations (JWZ steps 1-4, without subject grouping).
 *
 * @returns the roots: each a message or a dummy whose children are the conversation's first
 *   messages (siblings whose common parent is not among the messages).
 */
export function threadMessages(messages: ThreadInput[]): ThreadNode[] {
  const byId = new Map<string, Container>();
  const containers: Container[] = [];
  const container = (id: string): Container => {
    let c = byId.get(id);
    if (!c) {
      c = { id, children: [] };
      byId.set(id, c);
      containers.push(c);
    }
    return c;
  };
  let anonymous = 0;
  for (const message of messages) {
    // step 1A: the message's own container; a second message with the same Message-ID, or one
    // without any, gets a container of its own
    let own = message.messageId ? byId.get(message.messageId) : undefined;
    if (!own || own.key !== undefined) {
      own = message.messageId && !own ? container(message.messageId) : container(`\u0000${++anonymous}`);
    }
    own.key = message.key;
    own.messageId = message.messageId;
    // step 1B: link the references in order, never breaking a link already made, never a loop
    const refs = ancestorsOf(message);
    let previous: Container | undefined;
    for (const id of refs) {
      const current = container(id);
      if (previous && !current.parent && current !== previous && !isAncestor(current, previous)) {
        link(previous, current);
      }
      previous = current;
    }
    // step 1C: the message's parent is its last reference (the message itself knows best)
    if (previous && previous !== own && !isAncestor(own, previous)) {
      link(previous, own);
    } else if (own.parent && refs.length === 0) {
      // it says it has no parent
      const siblings = own.parent.children;
      siblings.splice(siblings.indexOf(own), 1);
      own.parent = undefined;
    }
  }
  // steps 2-4: the roots, without empty containers that hold nothing or a single child
  const roots = containers.filter((c) => !c.parent);
  const prune = (c: Container, atRoot: boolean): ThreadNode[] => {
    const children = c.children.flatMap((child) => prune(child, false));
    if (c.key === undefined) {
      if (!children.length) {
        return [];
      }
      // a dummy is kept only at the top, to hold two or more siblings together
      if (!atRoot || children.length === 1) {
        return children;
      }
      return [{ children }];
    }
    return [{ key: c.key, ...(c.messageId ? { messageId: c.messageId } : {}), children }];
  };
  return roots.flatMap((root) => prune(root, true));
}

/** Every message key of a tree, depth first. */
export function keysOf(node: ThreadNode): string[] {
  const out: string[] = [];
  const walk = (n: ThreadNode) => {
    if (n.key !== undefined) {
      out.push(n.key);
    }
    n.children.forEach(walk);
  };
  walk(node);
  return out;
}
