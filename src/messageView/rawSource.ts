// A message view source over raw bytes we hold: an .eml file, or a message attached to another
// (message/rfc822). It goes through the same loader as IMAP mail (core/mail/messageLoader
// parseSource): the same planner, decoder and view. Parts are served from the parsed bytes.
import * as vscode from 'vscode';
import { MailError } from '../core/errors';
import { type LoadOptions, parseSource } from '../core/mail/messageLoader';
import { type MessageSource } from './messageView';

/** `read` is called on each load (a file may have changed on disk since). */
export function rawMessageSource(title: string, state: string, read: () => Promise<Buffer>): MessageSource {
  let parsed: Awaited<ReturnType<typeof parseSource>> | undefined;
  return {
    title,
    state,
    origin: 'file',
    load: async (options?: LoadOptions) => {
      parsed = await parseSource(await read(), options);
      return parsed;
    },
    attachment: async (id) => {
      const data = parsed?.attachmentData.get(id);
      if (!data) {
        throw new MailError('NOT_FOUND', vscode.l10n.t('This attachment is not part of the message.'));
      }
      return { data };
    },
  };
}
