// Dates and counts in VS Code's display language: the one DisplayFormat of this window.
import * as vscode from 'vscode';
import { DisplayFormat } from '../core/dates';

let format: DisplayFormat | undefined;

/** The DisplayFormat for vscode.env.language (fixed for the life of the window, as VS Code's language is). */
export function dates(): DisplayFormat {
  format ??= new DisplayFormat(vscode.env.language);
  return format;
}
