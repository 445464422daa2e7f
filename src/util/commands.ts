// The one command wrapper: every handler is caught, logged, and reported with a short message
// and an "Open Log" button; the notification is not awaited, so a command never hangs on it.
import * as vscode from 'vscode';
import { MailError } from '../core/errors';
import { showError, t, uiPlain } from './ui';

export type CommandTable = Record<string, (...args: any[]) => unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function errorMessage(error: unknown): string {
  if (error instanceof MailError) {
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export function reportError(log: vscode.LogOutputChannel, context: string, error: unknown): void {
  const message = uiPlain(errorMessage(error), 400);
  log.error(`${context}: ${message}`);
  const openLog = t('Open Log');
  void showError(message, openLog).then((choice) => {
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
