// The server's threading: UID THREAD (RFC 5256) with Dovecot's REFS (References only, no subject
// merging; threads ordered by their newest message) when offered, else REFERENCES. REFERENCES
// groups root messages by subject as RFC 5256 step 5 says: the conversation builder therefore
// uses a server's REFERENCES threads only where the References chain links them (see
// conversations.ts), and otherwise falls back to its own threading without subject grouping.
import { type ImapFlow } from 'imapflow';
import { runCommand, type ParsedToken, tokenText } from '../mail/command';
import { type SearchKey, searchTokens } from '../search/compile';
import { type ThreadNode } from './jwz';

export type ThreadMethod = 'REFS' | 'REFERENCES' | 'client';

/** Which threading a server offers: THREAD=REFS, THREAD=REFERENCES, or neither (client-side JWZ). */
export function threadMethod(capabilities: ReadonlySet<string> | ReadonlyMap<string, unknown>): ThreadMethod {
  if (capabilities.has('THREAD=REFS')) {
    return 'REFS';
  }
  return capabilities.has('THREAD=REFERENCES') ? 'REFERENCES' : 'client';
}

const MAX_NODES = 1_000_000;

/**
 * Reads a THREAD response (RFC 5256 thread-list): `(1 2 (3 4)(5))` is 1, its child 2, and 2's
 * children 3 (with child 4) and 5; a list that starts with lists has a missing parent (a dummy).
 * Node keys are the UIDs as strings.
 */
export function parseThreadResponse(attributes: ParsedToken[] | undefined): ThreadNode[] {
  let nodes = 0;
  const parse = (list: ParsedToken[]): ThreadNode => {
    let root: ThreadNode | undefined;
    let last: ThreadNode | undefined;
    const dummy: ThreadNode = { children: [] };
    for (const item of list) {
      if (++nodes > MAX_NODES) {
        throw new Error('The THREAD answer holds more messages than any folder');
      }
      if (Array.isArray(item)) {
        (last ?? dummy).children.push(parse(item));
        continue;
      }
      const uid = Number(tokenText(item));
      if (!Number.isInteger(uid) || uid < 1) {
        continue;
      }
      const node: ThreadNode = { key: String(uid), children: [] };
      if (last) {
        last.children.push(node);
      } else {
        root = node;
      }
      last = node;
    }
    return root ?? dummy;
  };
  return (attributes ?? []).filter((a): a is ParsedToken[] => Array.isArray(a)).map(parse);
}

/**
 * `UID THREAD <method> UTF-8 <criteria>` in the selected folder.
 *
 * @throws MailError SERVER_NO when the server refuses it.
 */
export async function serverThreads(client: ImapFlow, method: Exclude<ThreadMethod, 'client'>, criteria: SearchKey): Promise<ThreadNode[]> {
  const threads: ThreadNode[] = [];
  await runCommand(client, 'UID THREAD', [{ type: 'ATOM', value: method }, { type: 'ATOM', value: 'UTF-8' }, ...searchTokens(criteria)], {
    THREAD: (response) => {
      threads.push(...parseThreadResponse(response.attributes));
    },
  });
  return threads;
}
