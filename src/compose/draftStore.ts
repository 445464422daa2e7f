// Drafts are real files under the extension's global storage from the moment they are created:
// VS Code's own save and hot exit protect what is typed, and a crash loses nothing. Beside each
// draft, a JSON file keeps what the editor does not show (DraftMeta).
//
// The editor opens a draft through the imap-draft: file system (draftFileSystem.ts), which reads
// and writes that same file: the URI's path is the subject and its query the draft's id, so the
// tab and the breadcrumb read "Re: [Bug] Crash..." and no storage path shows. (A name without the
// .maildraft extension: DraftEditorSupport gives these documents the draft language itself.)
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { type DraftMeta, parseDraft } from '../core/compose/draft';
import { plainLabel, trimChars } from '../core/text';

export const DRAFT_EXTENSION = '.maildraft';
/** The scheme of the draft editor's documents: imap-draft:/<subject>?id=<draft id>. */
export const DRAFT_SCHEME = 'imap-draft';

const ID = /^[a-z0-9-]{1,80}$/;

/** The tab title for a draft: its subject as plain text, a "/" kept from making it a path. */
export function draftTitle(subject: string): string {
  return plainLabel(subject, 100).replace(/[/\\]/g, '\u2215') || vscode.l10n.t('New Message');
}

export class DraftStore {
  constructor(private readonly root: vscode.Uri) {}

  private get dir(): string {
    return join(this.root.fsPath, 'drafts');
  }

  /** The file on disk that holds the draft's text. */
  fileOf(id: string): string {
    if (!ID.test(id)) {
      throw new Error(`not a draft id: ${id}`);
    }
    return join(this.dir, `${id}${DRAFT_EXTENSION}`);
  }

  /** The editor's URI for the draft, titled by its subject. */
  uriOf(id: string, subject = ''): vscode.Uri {
    return vscode.Uri.from({ scheme: DRAFT_SCHEME, path: `/${draftTitle(subject)}`, query: `id=${id}` });
  }

  /** The URI for a draft already on disk, titled by the Subject line it holds now. */
  async uriFor(id: string): Promise<vscode.Uri> {
    const text = await readFile(this.fileOf(id), 'utf8').catch(() => '');
    return this.uriOf(id, parseDraft(text).headers.subject);
  }

  /** The draft id of an editor URI (imap-draft:, or a file: URI of a draft made by an older version). */
  idOf(uri: vscode.Uri): string | undefined {
    if (uri.scheme === DRAFT_SCHEME) {
      const id = /^id=([a-z0-9-]+)$/.exec(uri.query)?.[1];
      return id && ID.test(id) ? id : undefined;
    }
    if (uri.scheme !== 'file' || !uri.fsPath.startsWith(this.dir) || !uri.fsPath.endsWith(DRAFT_EXTENSION)) {
      return undefined;
    }
    const id = uri.fsPath.slice(this.dir.length + 1, -DRAFT_EXTENSION.length);
    return ID.test(id) ? id : undefined;
  }

  /** A file name: the subject, shortened, and a random tail. */
  newId(hint = ''): string {
    const dashed = hint
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-');
    const slug = trimChars(trimChars(dashed, '-').slice(0, 40), '-', 'end');
    return `${slug || 'message'}-${randomBytes(3).toString('hex')}`;
  }

  async create(meta: DraftMeta, text: string, subject: string): Promise<vscode.Uri> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(join(this.dir, `${meta.id}.json`), JSON.stringify(meta, null, 2), { mode: 0o600 });
    await this.write(meta.id, Buffer.from(text, 'utf8'));
    return this.uriOf(meta.id, subject);
  }

  /** Replaces the draft's text on disk at once (a new file renamed over the old: never half written). */
  async write(id: string, content: Uint8Array): Promise<void> {
    const file = this.fileOf(id);
    const staging = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(staging, content, { mode: 0o600 });
    await rename(staging, file);
  }

  async meta(id: string): Promise<DraftMeta | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, `${id}.json`), 'utf8')) as DraftMeta;
    } catch {
      return undefined;
    }
  }

  async saveMeta(meta: DraftMeta): Promise<void> {
    await writeFile(join(this.dir, `${meta.id}.json`), JSON.stringify(meta, null, 2), { mode: 0o600 });
  }

  async list(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((f) => f.endsWith(DRAFT_EXTENSION)).map((f) => f.slice(0, -DRAFT_EXTENSION.length)).filter((id) => ID.test(id));
    } catch {
      return [];
    }
  }

  async remove(id: string): Promise<void> {
    await rm(this.fileOf(id), { force: true });
    await rm(join(this.dir, `${id}.json`), { force: true });
  }
}
