// Authentication-Results (RFC 8601): what the receiving mail server found when it checked a
// message's sender (DKIM, DMARC, SPF). Used to decide whether "Always load remote content for
// <sender>" may apply to a message: the From address alone is forgeable, a DKIM or DMARC pass for
// its domain stamped by the account's own server is not.
//
// Which header fields count (RFC 8601 section 5 and 7.1): anyone can write an
// Authentication-Results field into a message; only the receiving server's own is evidence. Its
// authserv-id (e.g. "mx.google.com") is known per account: configured in
// imapExplorer.remoteContent.authservIds (by IMAP host, user settings only), or learned once from a
// message after the user confirmed it names their server. Of the fields carrying a trusted
// authserv-id only the topmost one is read: the server prepends its own above everything the
// message arrived with, so a forged field with the same authserv-id (which a conforming server
// removes, RFC 8601 section 5) can only sit below it.
//
// No maintained npm package parses these fields on its own (mailauth has an internal,
// non-exported parser), so this is a small tokenizer: one linear pass, no regular expression
// that can backtrack, bounded input.

export interface AuthResult {
  /** Lower case: dkim, dmarc, spf, arc, ... */
  method: string;
  /** Lower case: pass, fail, none, neutral, temperror, ... */
  result: string;
  reason?: string;
  /** Properties by "ptype.property" in lower case: header.d, header.i, header.from, smtp.mailfrom. */
  props: Record<string, string>;
}

export interface AuthResultsField {
  /** Lower case. */
  authservId: string;
  results: AuthResult[];
}

const MAX_FIELD = 16 * 1024;
const MAX_RESULTS = 64;
const MAX_COMMENT_DEPTH = 16;

type Token = { kind: 'word' | 'quoted'; text: string; spaced: boolean } | { kind: ';' | '='; spaced: boolean };

/** Tokens of a structured header value (RFC 5322 3.2): words, quoted strings, ';' and '='; comments and whitespace dropped. Linear. */
function tokenize(input: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  let spaced = true;
  while (i < input.length) {
    const c = input[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      spaced = true;
      i++;
    } else if (c === '(') {
      let depth = 0;
      for (; i < input.length; i++) {
        const d = input[i];
        if (d === '\\') {
          i++;
        } else if (d === '(') {
          if (++depth > MAX_COMMENT_DEPTH) {
            return undefined;
          }
        } else if (d === ')' && --depth === 0) {
          i++;
          break;
        }
      }
      spaced = true;
    } else if (c === '"') {
      let text = '';
      i++;
      for (; i < input.length && input[i] !== '"'; i++) {
        if (input[i] === '\\' && i + 1 < input.length) {
          i++;
        }
        text += input[i];
      }
      i++;
      tokens.push({ kind: 'quoted', text, spaced });
      spaced = false;
    } else if (c === ';' || c === '=') {
      tokens.push({ kind: c, spaced });
      spaced = false;
      i++;
    } else {
      const start = i;
      while (i < input.length && !' \t\r\n();="'.includes(input[i])) {
        i++;
      }
      tokens.push({ kind: 'word', text: input.slice(start, i), spaced });
      spaced = false;
    }
  }
  return tokens;
}

/**
 * Parses the value of one Authentication-Results field (after the colon). Undefined when it has
 * no authserv-id or is not of the RFC 8601 shape. Unknown or broken result entries are skipped.
 */
export function parseAuthResults(value: string): AuthResultsField | undefined {
  if (value.length > MAX_FIELD) {
    return undefined;
  }
  const tokens = tokenize(value);
  if (!tokens?.length || (tokens[0].kind !== 'word' && tokens[0].kind !== 'quoted')) {
    return undefined;
  }
  const authservId = tokens[0].text.toLowerCase();
  const results: AuthResult[] = [];
  // resinfo entries are separated by ';' (a leading version number and "none" are simply no entry)
  let entry: Token[] = [];
  const flush = () => {
    const parsed = parseResinfo(entry);
    if (parsed && results.length < MAX_RESULTS) {
      results.push(parsed);
    }
    entry = [];
  };
  for (let i = 1; i < tokens.length; i++) {
    if (tokens[i].kind === ';') {
      flush();
      // the first ';' ends the authserv-id part: what came before it (a version) is not an entry
    } else {
      entry.push(tokens[i]);
    }
  }
  flush();
  return { authservId, results };
}

function text(token: Token | undefined): string | undefined {
  return token && (token.kind === 'word' || token.kind === 'quoted') ? token.text : undefined;
}

/** method[/version] = result [reason = value] *(ptype.property = pvalue) */
function parseResinfo(tokens: Token[]): AuthResult | undefined {
  const methodWord = text(tokens[0]);
  if (!methodWord || tokens[1]?.kind !== '=' || !text(tokens[2])) {
    return undefined;
  }
  const method = methodWord.split('/')[0].toLowerCase();
  const result: AuthResult = { method, result: text(tokens[2])!.toLowerCase(), props: {} };
  let i = 3;
  while (i < tokens.length) {
    const key = text(tokens[i]);
    if (!key || tokens[i + 1]?.kind !== '=') {
      i++;
      continue;
    }
    // a value runs on while no space separates its pieces: base64 padding ("b=abc=") stays whole
    let value = '';
    let j = i + 2;
    for (; j < tokens.length; j++) {
      const t = tokens[j];
      if (t.kind === ';' || (j > i + 2 && t.spaced)) {
        break;
      }
      value += t.kind === 'word' || t.kind === 'quoted' ? t.text : t.kind;
    }
    const name = key.toLowerCase();
    if (name === 'reason') {
      result.reason = value;
    } else if (name.includes('.') && !(name in result.props)) {
      result.props[name] = value;
    }
    i = j;
  }
  return result;
}

/** The values of every field `name` in a raw header block (unfolded), top to bottom. */
export function headerValues(rawHeaders: string, name: string): string[] {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  let current: string | undefined;
  for (const line of rawHeaders.split(/\r?\n/)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && current !== undefined) {
      current += ` ${line.trim()}`;
      continue;
    }
    if (current !== undefined) {
      values.push(current);
      current = undefined;
    }
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === wanted) {
      current = line.slice(colon + 1).trim();
    }
  }
  if (current !== undefined) {
    values.push(current);
  }
  return values;
}

export type SenderCheck =
  | { verified: true; authservId: string; method: 'dmarc' | 'dkim' }
  | { verified: false; reason: 'no-results' | 'unknown-server' | 'not-passed'; authservIds: string[] };

/** The domain of an address, lower case, without a trailing dot. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return (at >= 0 ? address.slice(at + 1) : address).trim().toLowerCase().replace(/\.$/, '');
}

function sameOrParent(domain: string, signer: string): boolean {
  // relaxed alignment (RFC 7489 3.1.1) without the public suffix list: the From domain is the
  // signing domain or below it, and the signer is not a bare top-level domain
  return Boolean(signer) && signer.includes('.') && (domain === signer || domain.endsWith(`.${signer}`));
}

/**
 * Whether the account's own server vouched that `fromAddress` really sent the message: the
 * topmost Authentication-Results field (of `fields`, top to bottom) whose authserv-id is in
 * `trustedIds` has dmarc=pass for the From domain, or dkim=pass by that domain (or a parent of it).
 */
export function checkSender(fields: readonly string[], trustedIds: readonly string[], fromAddress: string): SenderCheck {
  const parsed = fields.map(parseAuthResults).filter((f): f is AuthResultsField => Boolean(f));
  const authservIds = [...new Set(parsed.map((f) => f.authservId))];
  if (!parsed.length) {
    return { verified: false, reason: 'no-results', authservIds };
  }
  const trusted = new Set(trustedIds.map((id) => id.trim().toLowerCase()).filter(Boolean));
  const own = parsed.find((f) => trusted.has(f.authservId));
  if (!own) {
    return { verified: false, reason: 'unknown-server', authservIds };
  }
  const domain = domainOf(fromAddress);
  for (const r of own.results) {
    if (r.result !== 'pass') {
      continue;
    }
    if (r.method === 'dmarc' && domainOf(r.props['header.from'] ?? '') === domain && domain) {
      return { verified: true, authservId: own.authservId, method: 'dmarc' };
    }
    if (r.method === 'dkim' && domain) {
      const signer = domainOf(r.props['header.d'] ?? r.props['header.i'] ?? '');
      if (sameOrParent(domain, signer)) {
        return { verified: true, authservId: own.authservId, method: 'dkim' };
      }
    }
  }
  return { verified: false, reason: 'not-passed', authservIds };
}
