// The one-line preview of a collapsed message in the conversation view.
import { plainLabel } from '../text';
import { type LoadedMessage } from './viewModel';

/** Characters of the body looked at for the snippet: the first lines are enough. */
const SNIPPET_SCAN = 8192;

/** HTML without its tags and with a few entities decoded: one linear scan of at most SNIPPET_SCAN characters. */
function htmlText(html: string): string {
  let out = '';
  let inTag = false;
  const end = Math.min(html.length, SNIPPET_SCAN);
  // skip <head>/<style> content: only what comes after the body tag, when there is one
  const body = html.slice(0, end).toLowerCase().indexOf('<body');
  for (let i = body < 0 ? 0 : body; i < end; i++) {
    const c = html[i];
    if (c === '<') {
      inTag = true;
      out += ' ';
    } else if (c === '>') {
      inTag = false;
    } else if (!inTag) {
      out += c;
    }
  }
  return out.replaceAll('&nbsp;', ' ').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&amp;', '&');
}

/**
 * The first line of the message's own words (quoted lines, starting with ">", and an attribution
 * line ending in "wrote:" are skipped), as plain text of at most 160 characters; "" when none.
 */
export function conversationSnippet(message: Pick<LoadedMessage, 'text' | 'html'>): string {
  const source = message.text?.trim() ? message.text.slice(0, SNIPPET_SCAN) : message.html ? htmlText(message.html) : '';
  const words: string[] = [];
  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('>') || line.toLowerCase().endsWith('wrote:')) {
      continue;
    }
    if (line === '--') {
      break;
    }
    words.push(line);
    if (words.join(' ').length >= 160) {
      break;
    }
  }
  return plainLabel(words.join(' '), 160);
}
