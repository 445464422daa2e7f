// References to source code in mail text: stack frames and `file:line` of the common runtimes,
// and commit hashes. Sender text is hostile, so this is a per-line tokenizer: each line is at most
// MAX_LINE characters, every scan walks forward (or back to the previous separator) once, and the
// only regular expressions are anchored character classes without nested quantifiers. Formats:
//   Node/JS/TS   at fn (/abs/path/app.ts:12:5), at file:///x/app.js:3:1, webpack:///./src/x.ts:1:2
//   Python       File "/abs/path/app.py", line 42, in handler
//   Java/Kotlin  at com.example.app.Service.run(Service.java:42)   (package gives the directory)
//   Go           /home/u/go/src/app/main.go:42 +0x1d
//   Rust         at src/main.rs:5:9, panicked at src/lib.rs:2:5:
//   .NET         at Ns.Class.Method() in C:\build\src\Program.cs:line 42
//   C/C++/cc     src/parser.c:120:7: error: ..., MSVC src\parser.cpp(120,7): error C2065
//   plain        path/to/file.ext:12

export type Runtime = 'node' | 'python' | 'java' | 'go' | 'rust' | 'dotnet' | 'compiler' | 'plain';

export interface CodeReference {
  /** Offsets into the scanned text (UTF-16 units), [start, end): the characters to link. */
  start: number;
  end: number;
  /** The path as written (a URL scheme such as file:// removed). */
  path: string;
  /** 1-based. */
  line: number;
  /** 1-based, when the reference has one. */
  column?: number;
  /** A longer path known from context: a Java frame's package directories plus its file name. */
  suffixHint?: string;
  runtime: Runtime;
}

/** Lines longer than this are not scanned (minified code, base64): no reference is that long. */
export const MAX_LINE = 4000;
const MAX_PATH = 1024;
const MAX_REFERENCES = 1000;
const MAX_NUMBER_DIGITS = 7;

function isPathChar(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) || // 0-9
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x61 && code <= 0x7a) || // a-z
    code === 0x2e || code === 0x2f || code === 0x5c || // . / \
    code === 0x5f || code === 0x2d || code === 0x7e || // _ - ~
    code === 0x40 || code === 0x2b || code === 0x24 || // @ + $
    code > 0x7f
  );
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/** Digits at `at` (at most MAX_NUMBER_DIGITS), as a number and the index after them. */
function readNumber(line: string, at: number): { value: number; end: number } | undefined {
  let end = at;
  while (end < line.length && end - at < MAX_NUMBER_DIGITS && isDigit(line.charCodeAt(end))) {
    end++;
  }
  if (end === at || (end < line.length && isDigit(line.charCodeAt(end)))) {
    return undefined;
  }
  const value = Number(line.slice(at, end));
  return value > 0 ? { value, end } : undefined;
}

const EXTENSION = /^[A-Z][\w+-]{0,11}$/i;

/** The last path segment has a file extension ("app.ts", "Makefile.am"); a host name does not count here. */
function hasExtension(path: string): boolean {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 && EXTENSION.test(name.slice(dot + 1));
}

function runtimeOf(path: string): Runtime {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  switch (ext) {
    case 'js': case 'mjs': case 'cjs': case 'jsx': case 'ts': case 'mts': case 'cts': case 'tsx': case 'vue': case 'svelte':
      return 'node';
    case 'py':
      return 'python';
    case 'java': case 'kt': case 'kts': case 'scala': case 'groovy':
      return 'java';
    case 'go':
      return 'go';
    case 'rs':
      return 'rust';
    case 'cs': case 'fs': case 'vb':
      return 'dotnet';
    case 'c': case 'h': case 'cc': case 'cpp': case 'cxx': case 'hpp': case 'hh': case 'hxx': case 'm': case 'mm': case 'swift': case 'zig':
      return 'compiler';
    default:
      return 'plain';
  }
}

/**
 * Walks back from `end` (exclusive) over path characters, at most MAX_PATH. Returns the start, or
 * -1. A Windows drive ("C:\") and a URL scheme of file:// or webpack:// are taken in.
 */
function pathStart(line: string, end: number, floor: number): { start: number; linkStart: number } | undefined {
  let start = end;
  while (start > floor && end - start < MAX_PATH && isPathChar(line.charCodeAt(start - 1))) {
    start--;
  }
  if (start === end || end - start >= MAX_PATH) {
    return undefined;
  }
  let linkStart = start;
  // "C:\path" / "C:/path": a single drive letter before a colon
  if (start >= 2 && line.charCodeAt(start - 1) === 0x3a && isLetter(line.charCodeAt(start - 2)) && (start === 2 || !isPathChar(line.charCodeAt(start - 3))) && (line[start] === '\\' || line[start] === '/')) {
    start -= 2;
    linkStart = start;
  } else if (line.startsWith('//', start) && start >= 1 && line.charCodeAt(start - 1) === 0x3a) {
    // "scheme://": only file and bundler schemes name files
    const schemeEnd = start - 1;
    let schemeStart = schemeEnd;
    while (schemeStart > 0 && schemeEnd - schemeStart < 16 && isLetter(line.charCodeAt(schemeStart - 1))) {
      schemeStart--;
    }
    const scheme = line.slice(schemeStart, schemeEnd).toLowerCase();
    if (scheme !== 'file' && scheme !== 'webpack' && scheme !== 'vite') {
      return undefined;
    }
    linkStart = schemeStart;
    // file:///abs -> /abs ; webpack:///./src/x -> ./src/x
    start += scheme === 'file' ? 2 : 3;
  }
  return { start, linkStart };
}

/** "at com.example.app.Service.run(" before `open`: the package as directories. */
function javaPackageDirs(line: string, open: number): string | undefined {
  let start = open;
  while (start > 0 && open - start < 512) {
    const c = line.charCodeAt(start - 1);
    if (isLetter(c) || isDigit(c) || c === 0x2e || c === 0x5f || c === 0x24) {
      start--;
    } else {
      break;
    }
  }
  if (!line.slice(0, start).trimEnd().endsWith('at')) {
    return undefined;
  }
  // package.Class.method -> package ; drop a module prefix such as "app//"
  const segments = line.slice(start, open).split('.');
  if (segments.length < 3 || segments.some((s) => !s)) {
    return undefined;
  }
  return segments.slice(0, -2).join('/');
}

function pushReference(out: CodeReference[], offset: number, ref: Omit<CodeReference, 'start' | 'end' | 'runtime'> & { start: number; end: number; runtime?: Runtime }): void {
  const path = ref.path.replace(/\\/g, '/');
  if (!path || path.startsWith('//') || !hasExtension(path)) {
    return;
  }
  out.push({ ...ref, path: ref.path, start: offset + ref.start, end: offset + ref.end, runtime: ref.runtime ?? runtimeOf(path) });
}

/** Python: File "path", line N */
function pythonFrames(line: string, offset: number, out: CodeReference[]): void {
  let from = 0;
  for (;;) {
    const at = line.indexOf('File "', from);
    if (at < 0) {
      return;
    }
    const pathStartAt = at + 6;
    const close = line.indexOf('"', pathStartAt);
    if (close < 0 || close - pathStartAt > MAX_PATH) {
      return;
    }
    from = close + 1;
    if (!line.startsWith(', line ', close + 1)) {
      continue;
    }
    const number = readNumber(line, close + 8);
    if (number) {
      pushReference(out, offset, { start: at, end: number.end, path: line.slice(pathStartAt, close), line: number.value, runtime: 'python' });
      from = number.end;
    }
  }
}

/** Everything of the form path:N[:C], path:line N (.NET) and path(N[,C]) (MSVC). */
function colonFrames(line: string, offset: number, out: CodeReference[], taken: (i: number) => boolean): void {
  let floor = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 0x3a && c !== 0x28) {
      continue;
    }
    if (taken(i)) {
      floor = i + 1;
      continue;
    }
    let number: { value: number; end: number } | undefined;
    let column: number | undefined;
    let end = 0;
    let dotnet = false;
    if (c === 0x3a) {
      if (line.startsWith('line ', i + 1)) {
        number = readNumber(line, i + 6);
        dotnet = true;
      } else {
        number = readNumber(line, i + 1);
      }
      if (!number) {
        floor = i + 1;
        continue;
      }
      end = number.end;
      if (!dotnet && line.charCodeAt(end) === 0x3a) {
        const col = readNumber(line, end + 1);
        if (col) {
          column = col.value;
          end = col.end;
        }
      }
    } else {
      // MSVC: file.cpp(12) or file.cpp(12,5)
      number = readNumber(line, i + 1);
      if (!number) {
        floor = i + 1;
        continue;
      }
      end = number.end;
      if (line.charCodeAt(end) === 0x2c) {
        const col = readNumber(line, end + 1);
        if (col) {
          column = col.value;
          end = col.end;
        }
      }
      if (line.charCodeAt(end) !== 0x29) {
        floor = i + 1;
        continue;
      }
      end++;
    }
    let found = pathStart(line, i, floor);
    // the walk stopped at the end of the previous reference inside one token ("host:8443/a.js:3"):
    // a URL's path, not a file
    if (found && found.linkStart > 0 && isPathChar(line.charCodeAt(found.linkStart - 1))) {
      found = undefined;
    }
    floor = end;
    if (!found) {
      i = end - 1;
      continue;
    }
    const path = line.slice(found.start, i);
    let suffixHint: string | undefined;
    let runtime: Runtime | undefined = dotnet ? 'dotnet' : undefined;
    if (found.linkStart > 0 && line.charCodeAt(found.linkStart - 1) === 0x28 && !path.includes('/') && !path.includes('\\')) {
      const dirs = javaPackageDirs(line, found.linkStart - 1);
      if (dirs !== undefined && /\.(?:java|kt|kts|scala|groovy)$/i.test(path)) {
        suffixHint = `${dirs}/${path}`;
        runtime = 'java';
      }
    }
    if (!runtime && /\.go$/i.test(path)) {
      runtime = 'go';
    }
    pushReference(out, offset, { start: found.linkStart, end, path, line: number.value, ...(column ? { column } : {}), ...(suffixHint ? { suffixHint } : {}), ...(runtime ? { runtime } : {}) });
    i = end - 1;
  }
}

/**
 * Finds code references in `text`, in order. Lines over MAX_LINE characters are skipped; at most
 * MAX_REFERENCES are returned. Offsets index `text` as given (CRLF or LF).
 */
export function findCodeReferences(text: string): CodeReference[] {
  const out: CodeReference[] = [];
  let offset = 0;
  while (offset <= text.length && out.length < MAX_REFERENCES) {
    let next = text.indexOf('\n', offset);
    if (next < 0) {
      next = text.length;
    }
    const lineEnd = next > offset && text.charCodeAt(next - 1) === 0x0d ? next - 1 : next;
    if (lineEnd - offset <= MAX_LINE) {
      const line = text.slice(offset, lineEnd);
      const before = out.length;
      pythonFrames(line, offset, out);
      const python = out.slice(before);
      colonFrames(line, offset, out, (i) => python.some((r) => offset + i >= r.start && offset + i < r.end));
      if (out.length - before > 1) {
        const sorted = out.splice(before).sort((a, b) => a.start - b.start);
        out.push(...sorted);
      }
    }
    offset = next + 1;
  }
  return out.slice(0, MAX_REFERENCES);
}

export interface CommitCandidate {
  start: number;
  end: number;
  /** Lower case hex, 7-40 characters. */
  hash: string;
}

const MAX_COMMITS = 100;

/**
 * Words of 7 to 40 hex digits with at least one digit (so "defaced" is no commit) that stand
 * alone (not inside a longer word, a path or a UUID). Each still has to name a commit of the
 * workspace's repository to become a link.
 */
export function findCommitCandidates(text: string): CommitCandidate[] {
  const out: CommitCandidate[] = [];
  const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
  const isWord = (c: number) => isLetter(c) || isDigit(c) || c === 0x5f || c === 0x2d || c === 0x2f || c === 0x2e || c > 0x7f;
  for (let i = 0; i < text.length && out.length < MAX_COMMITS; i++) {
    if (!isHex(text.charCodeAt(i)) || (i > 0 && isWord(text.charCodeAt(i - 1)))) {
      continue;
    }
    let end = i;
    let digits = 0;
    while (end < text.length && isHex(text.charCodeAt(end))) {
      digits += isDigit(text.charCodeAt(end)) ? 1 : 0;
      end++;
    }
    const length = end - i;
    // a trailing "." or "," ends a sentence, not the hash
    const after = text.charCodeAt(end);
    const boundary = end === text.length || !isWord(after) || ((after === 0x2e || after === 0x2d) && !isWord(text.charCodeAt(end + 1)));
    if (length >= 7 && length <= 40 && digits > 0 && digits < length && boundary) {
      out.push({ start: i, end, hash: text.slice(i, end).toLowerCase() });
    }
    i = end - 1;
  }
  return out;
}
