// This window's private folder for opened attachments (see core/tempFiles.ts): made on first use,
// removed on deactivation; folders of windows that were killed are removed at the next start.
import { rm } from 'node:fs/promises';
import { type Disposable } from 'vscode';
import { createSessionTempDir, removeStaleTempDirs } from '../core/tempFiles';

export class SessionTempDir implements Disposable {
  private dir: Promise<string> | undefined;

  /** The folder, created (mkdtemp, 0700, under a 0700 per-user folder) on first call. */
  get(): Promise<string> {
    this.dir ??= createSessionTempDir();
    return this.dir;
  }

  /** Removes the folders left by windows that are gone; resolves to what was removed. */
  static cleanStale(): Promise<string[]> {
    return removeStaleTempDirs();
  }

  dispose(): void {
    const dir = this.dir;
    this.dir = undefined;
    void dir?.then((path) => rm(path, { recursive: true, force: true })).catch(() => undefined);
  }
}
