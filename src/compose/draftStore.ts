// Drafts are real files under the extension's global storage from the moment they are created:
// VS Code's own save and hot exit protect what is typed, and a crash loses nothing. Beside each
// draft, a JSON file keeps what the editor does not show (DraftMeta).
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { type DraftMeta } from '../core/compose/draft';
import { trimChars } from '../core/text';

export const DRAFT_EXTENSION = '.maildraft';

export class DraftStore {
  constructor(private readonly root: vscode.Uri) {}

  private get dir(): string {
    return join(this.root.fsPath, 'drafts');
  }

  uriOf(id: string): vscode.Uri {
    return vscode.Uri.file(join(this.dir, `${id}${DRAFT_EXTENSION}`));
  }

  idOf(uri: vscode.Uri): string | undefined {
    if (uri.scheme !== 'file' || !uri.fsPath.startsWith(this.dir) || !uri.fsPath.endsWith(DRAFT_EXTENSION)) {
      return undefined;
    }
    return uri.fsPath.slice(this.dir.length + 1, -DRAFT_EXTENSION.length);
  }

  /** A file name that reads well on a tab: the subject, shortened, and a random tail. */
  newId(hint = ''): string {
    const dashed = hint
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-');
    const slug = trimChars(trimChars(dashed, '-').slice(0, 40), '-', 'end');
    return `${slug || 'message'}-${randomBytes(3).toString('hex')}`;
  }

  async create(meta: DraftMeta, text: string): Promise<vscode.Uri> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(join(this.dir, `${meta.id}.json`), JSON.stringify(meta, null, 2), { mode: 0o600 });
    await writeFile(this.uriOf(meta.id).fsPath, text, { mode: 0o600 });
    return this.uriOf(meta.id);
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
      return (await readdir(this.dir)).filter((f) => f.endsWith(DRAFT_EXTENSION)).map((f) => f.slice(0, -DRAFT_EXTENSION.length));
    } catch {
      return [];
    }
  }

  async remove(id: string): Promise<void> {
    await rm(this.uriOf(id).fsPath, { force: true });
    await rm(join(this.dir, `${id}.json`), { force: true });
  }
}
