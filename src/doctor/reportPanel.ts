// The connection report in a webview: the verdict, the step table with times, certificate details,
// capability badges, fixes, the commands to reproduce it by hand and the redacted transcript.
// Everything the servers said is inserted as text. Copy as Markdown, Save as JSON, and, for a
// certificate no authority vouches for, pinning it to the account after the user saw it.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { reportToJson, reportToMarkdown } from '../core/doctor/report';
import { type DoctorReport } from '../core/doctor/types';
import { displayLocale } from '../core/dates';
import { panelTitle, setStatusBarMessage, showError, showModal, t, uiPlain, uiVerbatim } from '../util/ui';
import { parseReportMessage, type ReportHostToView } from './protocol';

export interface PinRequest {
  /** Pins the report's certificate to the account it was run for; resolves when saved. */
  pin(sha256: string, pem: string): Promise<void>;
  pinned: string | undefined;
  /** The pinned chain (PEM) from the pin store, so that the diagnosis uses exactly what the account trusts. */
  pinnedPem?: string | undefined;
}

export function showReport(extensionUri: vscode.Uri, report: DoctorReport, pinning: PinRequest | undefined, log: vscode.LogOutputChannel): vscode.WebviewPanel {
  const panel = vscode.window.createWebviewPanel('imapExplorer.doctorReport', panelTitle(t('Connection Report: {0}', uiPlain(report.input, 60))), vscode.ViewColumn.Active, {
    enableScripts: true,
    enableForms: false,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
    retainContextWhenHidden: true,
  });
  const webview = panel.webview;
  const nonce = randomBytes(18).toString('base64');
  const uri = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...path)).toString();
  webview.html = `<!DOCTYPE html><html lang="${displayLocale(vscode.env.language)}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${nonce}'; style-src ${webview.cspSource} 'unsafe-inline'; font-src ${webview.cspSource}; img-src ${webview.cspSource}">
<link rel="stylesheet" href="${uri('dist', 'codicons', 'codicon.css')}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${uri('media', 'doctorReport.css')}">
<title>Connection Report</title></head><body><main id="app"></main>
<script nonce="${nonce}" src="${uri('dist', 'webview', 'doctorReport.js')}"></script></body></html>`;
  const certificate = report.imap?.tls?.certificate;
  // only where the doctor checked that the pinned account would accept it: never a placeholder or an expired certificate
  const canPin = Boolean(pinning && certificate && report.imap?.tls?.pinnable && certificate.pem);
  const post = () =>
    void webview.postMessage({ type: 'report', report, canPin, pinned: Boolean(pinning?.pinned && pinning.pinned === certificate?.sha256) } satisfies ReportHostToView);
  webview.onDidReceiveMessage(async (raw: unknown) => {
    const message = parseReportMessage(raw);
    try {
      switch (message?.type) {
        case 'ready':
          post();
          return;
        case 'copyMarkdown':
          await vscode.env.clipboard.writeText(reportToMarkdown(report));
          setStatusBarMessage(t('Connection report copied as Markdown.'), 3000);
          return;
        case 'saveJson': {
          const target = await vscode.window.showSaveDialog({ saveLabel: vscode.l10n.t('Save Report'), filters: { JSON: ['json'] }, defaultUri: vscode.Uri.file(`connection-report-${report.startedAt.slice(0, 10)}.json`) });
          if (target) {
            await vscode.workspace.fs.writeFile(target, Buffer.from(reportToJson(report), 'utf8'));
          }
          return;
        }
        case 'pin': {
          if (!canPin || !pinning || !certificate) {
            return;
          }
          const trust = t('Trust This Certificate');
          const choice = await showModal(t('Pin this certificate for the account?'), {
            detail: t('Subject: {0}\nIssuer: {1}\nSHA-256: {2}\n\nOnly this exact certificate will be accepted for the account from now on.', uiPlain(certificate.subject), uiPlain(certificate.issuer), uiVerbatim(certificate.sha256)),
          }, trust);
          if (choice === trust) {
            await pinning.pin(certificate.sha256, certificate.pem);
            pinning.pinned = certificate.sha256;
            post();
          }
          return;
        }
      }
    } catch (err) {
      const text = uiPlain(err instanceof Error ? err.message : String(err), 300);
      log.error(`Connection report action failed: ${text}`);
      void showError(text);
    }
  });
  return panel;
}
