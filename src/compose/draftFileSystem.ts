// The imap-draft: file system: the draft editor's documents, each backed by its file under the
// extension's storage (DraftStore). VS Code saves, backs up (hot exit) and restores these
// documents like any file, so the never-lost guarantee of a plain file holds, while the tab shows
// the subject instead of a storage path. Only drafts exist here: no folders, no delete, no rename.
import { stat, readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { type DraftStore } from './draftStore';

export class DraftFileSystem implements vscode.FileSystemProvider {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;

  constructor(private readonly drafts: DraftStore) {}

  private fileOf(uri: vscode.Uri): string {
    const id = this.drafts.idOf(uri);
    if (!id || uri.scheme === 'file') {
      throw vscode.FileSystemError.FileNotFound(uri);
    }
    return this.drafts.fileOf(id);
  }

  watch(): vscode.Disposable {
    // nothing changes a draft's file but this provider (and DraftStore, before the editor opens it)
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    try {
      const info = await stat(this.fileOf(uri));
      return { type: vscode.FileType.File, ctime: info.ctimeMs, mtime: info.mtimeMs, size: info.size };
    } catch (err) {
      throw notFound(err, uri);
    }
  }

  readDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  createDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    try {
      return await readFile(this.fileOf(uri));
    } catch (err) {
      throw notFound(err, uri);
    }
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array, options: { create: boolean; overwrite: boolean }): Promise<void> {
    const id = this.drafts.idOf(uri);
    const file = this.fileOf(uri);
    const exists = await stat(file).then(() => true, () => false);
    if (!exists && !options.create) {
      throw vscode.FileSystemError.FileNotFound(uri);
    }
    if (exists && !options.overwrite) {
      throw vscode.FileSystemError.FileExists(uri);
    }
    await this.drafts.write(id!, content);
    this.changed.fire([{ type: exists ? vscode.FileChangeType.Changed : vscode.FileChangeType.Created, uri }]);
  }

  delete(uri: vscode.Uri): never {
    // a draft goes away by Send or Discard (DraftStore.remove), never by a file operation
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function notFound(err: unknown, uri: vscode.Uri): unknown {
  return (err as { code?: string }).code === 'ENOENT' ? vscode.FileSystemError.FileNotFound(uri) : err;
}
