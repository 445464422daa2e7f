// The last changes the user can take back: moves, archive, delete (to Trash), flag changes.
import { type UiText } from '../core/uiText';

export interface UndoEntry {
  /** What undoing does, for the notification ("Undo move of 3 messages to Archive"). */
  label: UiText;
  undo(): Promise<void>;
}

export class UndoStack {
  private readonly entries: UndoEntry[] = [];
  private readonly used = new WeakSet<UndoEntry>();

  constructor(readonly limit = 20) {}

  push(entry: UndoEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.limit) {
      this.entries.shift();
    }
  }

  pop(): UndoEntry | undefined {
    const entry = this.entries.pop();
    if (entry) {
      this.used.add(entry);
    }
    return entry;
  }

  /** Removes an entry once its own notification button used it. */
  remove(entry: UndoEntry): boolean {
    const index = this.entries.lastIndexOf(entry);
    if (index < 0) {
      return false;
    }
    this.entries.splice(index, 1);
    this.used.add(entry);
    return true;
  }

  /**
   * Why `entry` can no longer be taken back, for a notification's Undo button pressed after the
   * entry left the stack: 'undone' when Undo (the command or a button) already used it, 'expired'
   * when newer changes pushed it out (only the last `limit` are kept), undefined while it can.
   */
  whyGone(entry: UndoEntry): 'undone' | 'expired' | undefined {
    if (this.used.has(entry)) {
      return 'undone';
    }
    return this.entries.includes(entry) ? undefined : 'expired';
  }

  get size(): number {
    return this.entries.length;
  }
}
