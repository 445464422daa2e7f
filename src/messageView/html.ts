// The message view's outer document. Its CSP allows our bundled script (by nonce) and styles,
// nothing from the network ever (remote content the user allowed is fetched by the host and
// inlined as data:), and no frames but the srcdoc body frame. The body frame is sandboxed without
// allow-scripts.
import { randomBytes } from 'node:crypto';
import type * as vscode from 'vscode';
import { displayLocale } from '../core/dates';

export interface ShellResources {
  script: vscode.Uri;
  style: vscode.Uri;
  codicons: vscode.Uri;
  /** The only folders the webview may load files from. */
  roots: vscode.Uri[];
  /** VS Code's display language (vscode.env.language): the view formats dates in it. */
  language?: string;
}

export function shellCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    // 'unsafe-inline' styles: the srcdoc frame inherits this policy and mail needs its own styles
    `style-src ${cspSource} 'unsafe-inline'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource} data:`,
    "frame-src 'self'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function shellHtml(webview: vscode.Webview, resources: ShellResources): string {
  const nonce = randomBytes(18).toString('base64');
  const csp = shellCsp(webview.cspSource, nonce);
  return `<!DOCTYPE html>
<html lang="${displayLocale(resources.language)}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${resources.codicons.toString()}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${resources.style.toString()}">
<title>Message</title>
</head>
<body>
<div id="app" aria-live="polite"></div>
<script nonce="${nonce}" src="${resources.script.toString()}"></script>
</body>
</html>`;
}
