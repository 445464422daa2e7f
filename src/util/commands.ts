// The one command wrapper: every handler is caught, logged, and reported with a short message
// and an "Open Log" button; the notification is not awaited, so a command never hangs on it.
import * as vscode from 'vscode';
import { MailError } from '../core/errors';
import { plainLabel } from '../core/text';

export type CommandTable = Record<string, (...args: any[]) => unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function errorMessage(error: unknown): string {
  if (error instanceof MailError) {
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export function reportError(log: vscode.LogOutputChannel, context: string, error: unknown): void {
  const message = plainLabel(errorMessage(error), 400);
  log.error(`${context}: ${message}`);
  const openLog = vscode.l10n.t('Open Log');
  void vscode.window.showErrorMessage(message, openLog).then((choice) => {
    if (choice === openLog) {
      log.show(true);
    }
  });
}

export function registerCommands(table: CommandTable, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return Object.entries(table).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (error) {
        reportError(log, id, error);
        return undefined;
      }
    }),
  );
}
