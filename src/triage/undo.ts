// The last changes the user can take back: moves, archive, delete (to Trash), flag changes.
import { type UiText } from '../core/uiText';

export interface UndoEntry {
  /** What undoing does, for the notification ("Undo move of 3 messages to Archive"). */
  label: UiText;
  undo(): Promise<void>;
}

export class UndoStack {
  private readonly entries: UndoEntry[] = [];

  constructor(private readonly limit = 20) {}

  push(entry: UndoEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.limit) {
      this.entries.shift();
    }
  }

  pop(): UndoEntry | undefined {
    return this.entries.pop();
  }

  /** Removes an entry once its own notification button used it. */
  remove(entry: UndoEntry): boolean {
    const index = this.entries.lastIndexOf(entry);
    if (index < 0) {
      return false;
    }
    this.entries.splice(index, 1);
    return true;
  }

  get size(): number {
    return this.entries.length;
  }
}
