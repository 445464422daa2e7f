// The account form's one-line command ("pass show mail/work") as an argv array, with shell-quote
// (quotes and escapes as a shell reads them). Nothing a shell would interpret is accepted: there is
// no shell, so a pipe, a redirection or a $VARIABLE would not do what it looks like.
import { parse, quote } from 'shell-quote';

/** argv, or a sentence saying what cannot be used. */
export function parseCommandLine(line: string): string[] | string {
  if (!line.trim()) {
    return 'Enter the command that prints the password or token, e.g. pass show mail/work.';
  }
  const expanded: string[] = [];
  const words = parse(line, (name) => `\u0000${name}`);
  for (const word of words) {
    if (typeof word !== 'string') {
      const op = 'op' in word ? String(word.op) : 'comment' in word ? '#' : 'a pattern';
      return `"${op}" needs a shell, and the command runs without one: put the pipeline in a script and give the script's path.`;
    }
    if (word.includes('\u0000')) {
      return 'Variables ($NAME) need a shell, and the command runs without one: write the value, or use a script.';
    }
    expanded.push(word);
  }
  return expanded;
}

/** argv as the one line the form shows. */
export function formatCommandLine(argv: string[]): string {
  return quote(argv);
}
