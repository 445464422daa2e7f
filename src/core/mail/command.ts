// Commands imapflow (2.10) has no method for: THREAD and SORT (RFC 5256), and SEARCH with our own
// criteria tokens. They go through imapflow's own command queue (`exec`, the function every one of
// its commands uses, not part of its typed API), so they take turns with everything else on the
// connection and its untagged responses reach only this command's handlers.
import { type ImapFlow } from 'imapflow';
import { MailError, toMailError } from '../errors';
import { type ImapToken } from '../search/compile';

/** An untagged response as imapflow's parser hands it over. */
export interface UntaggedResponse {
  command: string;
  attributes?: ParsedToken[];
  /** A line of plain numbers (SEARCH, SORT), when imapflow read it as such. */
  numbers?: number[];
}

/** A parsed response token: an atom, string, sequence or number, or a parenthesised list. */
export type ParsedToken = { type: string; value: unknown } | ParsedToken[];

interface ExecResponse {
  next(): void;
}

type Exec = (command: string, attributes: ImapToken[], options: { untagged: Record<string, (response: UntaggedResponse) => Promise<void>> }) => Promise<ExecResponse>;

/**
 * Runs `command` with `attributes` on the selected mailbox, calling `untagged[NAME]` for each
 * untagged NAME response while it runs.
 *
 * @throws MailError SERVER_NO with the server's words when it answers NO or BAD; DISCONNECTED or
 *   another code when the command did not complete.
 */
export async function runCommand(client: ImapFlow, command: string, attributes: ImapToken[], untagged: Record<string, (response: UntaggedResponse) => void>): Promise<void> {
  const exec = (client as unknown as { exec?: Exec }).exec;
  if (typeof exec !== 'function') {
    throw new MailError('UNKNOWN', 'This imapflow version has no command queue to send the command on.');
  }
  const handlers: Record<string, (response: UntaggedResponse) => Promise<void>> = {};
  for (const [name, handler] of Object.entries(untagged)) {
    handlers[name] = async (response) => {
      if (response) {
        handler(response);
      }
    };
  }
  let response: ExecResponse;
  try {
    response = await exec.call(client, command, attributes, { untagged: handlers });
  } catch (err) {
    const error = toMailError(err);
    if (error.code === 'SERVER_NO') {
      const text = error.details.serverText ?? error.message;
      throw new MailError('SERVER_NO', `The server refused ${command.replace(/^UID /, '')}: ${text}`, error.details, { cause: err });
    }
    throw error;
  }
  response.next();
}

/** The value of a parsed token as text (atoms, strings, sequences and numbers alike). */
export function tokenText(token: ParsedToken | undefined): string | undefined {
  if (!token || Array.isArray(token)) {
    return undefined;
  }
  const value = token.value;
  if (typeof value === 'string' || typeof value === 'number') {
    return String(value);
  }
  if (Buffer.isBuffer(value)) {
    return value.toString('utf8');
  }
  return undefined;
}

/** The numbers of a SEARCH or SORT response line, whichever way imapflow delivered them. */
export function responseNumbers(response: UntaggedResponse): number[] {
  if (response.numbers) {
    return response.numbers;
  }
  const out: number[] = [];
  for (const token of response.attributes ?? []) {
    const n = Number(tokenText(token));
    if (Number.isInteger(n) && n > 0) {
      out.push(n);
    }
  }
  return out;
}
