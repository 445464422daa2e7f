// The document shown inside the message view's sandboxed iframe (srcdoc): its own Content
// Security Policy (no scripts at all; images and fonts only from data:, also after the user
// allowed remote content, because the host fetches that and inlines it: the webview itself never
// makes a request, so none can carry a Referer or a cookie), no referrer, and base styles that
// take the VS Code theme from variables the view copies in. The outer webview has a CSP too.
//
// The mail's own <html> and <body> become <mx-mail> and <mx-body> (its CSS is rewritten to match,
// see css.ts), so its page background and text color are drawn on its paper. Our base styles sit
// in :where() (no specificity), so the mail's own rules win wherever both apply.
import { type SanitizedHtml } from './sanitize';

export type DocumentBody =
  | { kind: 'html'; sanitized: SanitizedHtml }
  | { kind: 'text'; html: string }
  | { kind: 'empty' };

export function bodyCsp(): string {
  return [
    "default-src 'none'",
    'img-src data:',
    "style-src 'unsafe-inline'",
    'font-src data:',
    "script-src 'none'",
    "form-action 'none'",
    "frame-src 'none'",
    "base-uri 'none'",
  ].join('; ');
}

const BASE_STYLE = `
:root { color-scheme: light dark; }
html, body { margin: 0; padding: 0; }
body { font-family: var(--mx-font, system-ui, sans-serif); font-size: var(--mx-font-size, 13px); line-height: 1.5;
  color: var(--mx-fg, #222); background: transparent; overflow-wrap: anywhere; }
:where(mx-mail) { display: block; }
:where(mx-body) { display: block; padding: 12px 16px 24px; }
:where(body.mx-paper mx-mail) { background: #ffffff; color: #1f1f1f; border-radius: 4px; }
:where(a[data-href]) { color: var(--mx-link, #3794ff); text-decoration: underline; cursor: pointer; }
:where(body.mx-paper a[data-href]) { color: #0b57d0; }
a[data-href]:focus-visible { outline: 1px solid var(--mx-focus, #007fd4); outline-offset: 1px; }
a[data-mx-code] { color: var(--mx-link, #3794ff); text-decoration: underline dotted; cursor: pointer; }
body.mx-paper a[data-mx-code] { color: #0b57d0; }
a[data-mx-code]:focus-visible { outline: 1px solid var(--mx-focus, #007fd4); outline-offset: 1px; }
img[data-mx-blocked] { display: inline-block; min-width: 0; min-height: 0; background: repeating-linear-gradient(45deg, rgba(128,128,128,.12) 0 6px, rgba(128,128,128,.2) 6px 12px); }
:where(img) { max-width: 100%; height: auto; }
:where(pre, code, .mx-text) { font-family: var(--mx-mono, ui-monospace, Menlo, Consolas, monospace); }
.mx-text { white-space: pre-wrap; font-size: var(--mx-mono-size, 13px); }
.mx-signature { opacity: .7; }
blockquote.mx-quote { margin: 4px 0; padding: 0 0 0 10px; border-left: 3px solid var(--mx-quote-border, rgba(128,128,128,.5)); color: var(--mx-quote-fg, inherit); }
blockquote.mx-quote blockquote.mx-quote { border-left-color: var(--mx-quote-border-2, rgba(128,128,128,.35)); }
.mx-empty { opacity: .7; font-style: italic; }
details.mx-fold { margin: 6px 0; }
details.mx-fold > summary.mx-fold-summary { display: inline-block; cursor: pointer; list-style: none; font-family: var(--mx-font, system-ui, sans-serif); font-size: 11px; line-height: 18px; padding: 0 8px; border-radius: 9px; border: 1px solid rgba(128,128,128,.45); color: var(--mx-quote-fg, inherit); user-select: none; }
details.mx-fold > summary.mx-fold-summary::-webkit-details-marker { display: none; }
details.mx-fold > summary.mx-fold-summary:focus-visible { outline: 1px solid var(--mx-focus, #007fd4); outline-offset: 1px; }
details.mx-fold[open] > summary.mx-fold-summary { margin-bottom: 4px; font-size: 0; }
details.mx-fold[open] > summary.mx-fold-summary::after { content: 'Hide quoted text'; font-size: 11px; }
`;

/** The srcdoc of the body frame for a rendered body (see the file comment for its shape). */
export function messageDocument(body: DocumentBody): string {
  let content: string;
  let mailStyles = '';
  let bodyClass = '';
  let contentStyle = '';
  switch (body.kind) {
    case 'html':
      content = body.sanitized.body;
      mailStyles = body.sanitized.styles;
      bodyClass = body.sanitized.styled ? 'mx-paper mx-html' : 'mx-html';
      contentStyle = body.sanitized.bodyStyle;
      break;
    case 'text':
      content = body.html;
      bodyClass = 'mx-plain';
      break;
    default:
      content = '<p class="mx-empty">This message has no text.</p>';
  }
  const escapedStyle = contentStyle.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<!DOCTYPE html><html><head><meta charset="utf-8">`
    + `<meta http-equiv="Content-Security-Policy" content="${bodyCsp()}">`
    + `<meta name="referrer" content="no-referrer">`
    + `<style>${BASE_STYLE}</style>`
    + (mailStyles ? `<style>${mailStyles}</style>` : '')
    + `</head><body class="${bodyClass}"><mx-mail><mx-body${escapedStyle ? ` style="${escapedStyle}"` : ''}>${content}</mx-body></mx-mail></body></html>`;
}
