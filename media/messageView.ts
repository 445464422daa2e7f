// The message view's script. It renders header fields with textContent only, puts the host's
// sanitized body document into a sandboxed iframe (no allow-scripts: nothing in the mail runs),
// and turns clicks on links and buttons into protocol messages. It never builds HTML from data.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-container/index.js';
import { type CardAction, type ConversationAction, type ConversationCard, type HostToView, type MessageAction, type ViewToHost } from '../src/messageView/protocol';
import { type AddressView, type CalendarView, type MessageViewModel } from '../src/core/render/viewModel';
import { el } from './dom';
import { DisplayFormat } from '../src/core/dates';

interface VsCodeApi {
  postMessage(message: ViewToHost): void;
  setState(state: unknown): void;
  getState(): unknown;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;
const post = (message: ViewToHost) => vscode.postMessage(message);

function button(label: string, onClick: () => void, options: { secondary?: boolean; icon?: string; title?: string } = {}): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  if (options.secondary) {
    b.setAttribute('secondary', '');
  }
  if (options.icon) {
    b.setAttribute('icon', options.icon);
  }
  if (options.title) {
    b.setAttribute('title', options.title);
  }
  b.addEventListener('click', onClick);
  return b;
}

function formatAddress(a: AddressView): string {
  if (a.name && a.address && a.name.toLowerCase() !== a.address.toLowerCase()) {
    return `${a.name} <${a.address}>`;
  }
  return a.name || a.address;
}

function headerRow(label: string, values: AddressView[] | string, more = 0): HTMLElement | undefined {
  const text = typeof values === 'string' ? values : values.map(formatAddress).join(', ');
  if (!text) {
    return undefined;
  }
  const row = el('div', 'row');
  const value = el('span', 'value', text);
  if (more > 0) {
    // in its own element: a name the sender wrote ("and 5 more") never looks like this count
    value.append(el('span', 'more', ` and ${more.toLocaleString('en-US')} more`));
  }
  row.append(el('span', 'label', label), value);
  return row;
}

const THEME_VARS: Array<[string, string]> = [
  ['--mx-fg', '--vscode-foreground'],
  ['--mx-link', '--vscode-textLink-foreground'],
  ['--mx-focus', '--vscode-focusBorder'],
  ['--mx-font', '--vscode-font-family'],
  ['--mx-font-size', '--vscode-font-size'],
  ['--mx-mono', '--vscode-editor-font-family'],
  ['--mx-mono-size', '--vscode-editor-font-size'],
  ['--mx-quote-border', '--vscode-textBlockQuote-border'],
  ['--mx-quote-fg', '--vscode-descriptionForeground'],
];

function applyTheme(frame: HTMLIFrameElement): void {
  const doc = frame.contentDocument;
  if (!doc?.documentElement) {
    return;
  }
  const styles = getComputedStyle(document.documentElement);
  for (const [ours, theirs] of THEME_VARS) {
    const value = styles.getPropertyValue(theirs).trim();
    if (value) {
      doc.documentElement.style.setProperty(ours, value);
    }
  }
  doc.documentElement.style.colorScheme = document.body.classList.contains('vscode-light') ? 'light' : 'dark';
}

let currentFrame: HTMLIFrameElement | undefined;
/** The state of the message shown (from 'show'): echoed with clicks, so the host acts on this one. */
let shownState = '';
let noticeBar: HTMLElement | undefined;
let flagButton: HTMLElement | undefined;
let readButton: HTMLElement | undefined;

function toolButton(icon: string, label: string, action: MessageAction | 'viewSource', keys?: string): HTMLElement {
  const b = document.createElement('vscode-toolbar-button');
  b.setAttribute('icon', icon);
  b.setAttribute('label', keys ? `${label} (${keys})` : label);
  b.setAttribute('title', keys ? `${label} (${keys})` : label);
  b.dataset.action = action;
  b.addEventListener('click', () => post(action === 'viewSource' ? { type: 'viewSource' } : { type: 'action', action }));
  return b;
}

function setToggle(buttonEl: HTMLElement | undefined, icon: string, label: string): void {
  if (buttonEl) {
    buttonEl.setAttribute('icon', icon);
    buttonEl.setAttribute('label', label);
    buttonEl.setAttribute('title', label);
  }
}

function showFlags(flagged: boolean, seen: boolean): void {
  setToggle(flagButton, flagged ? 'star-full' : 'star-empty', flagged ? 'Unflag (S)' : 'Flag (S)');
  setToggle(readButton, seen ? 'mail' : 'mail-read', seen ? 'Mark Unread (Shift+U)' : 'Mark Read (Shift+I)');
}

function toolbar(model: MessageViewModel): HTMLElement {
  const bar = document.createElement('vscode-toolbar-container');
  bar.className = 'header-actions';
  bar.setAttribute('role', 'toolbar');
  bar.setAttribute('aria-label', 'Message actions');
  flagButton = toolButton('star-empty', 'Flag', 'toggleFlag');
  readButton = toolButton('mail-read', 'Mark Read', 'toggleRead');
  bar.append(
    toolButton('reply', 'Reply', 'reply', 'R'),
    toolButton('mail-reply', 'Reply All', 'replyAll', 'A'),
    toolButton('forward', 'Forward', 'forward', 'F'),
    flagButton,
    readButton,
    toolButton('archive', 'Archive', 'archive', 'E'),
    toolButton('circle-slash', 'Mark as Junk', 'junk', '!'),
    toolButton('trash', 'Delete', 'delete', 'Delete'),
    toolButton('folder-active', 'Move to...', 'moveTo', 'V'),
    toolButton('copy', 'Copy to...', 'copyTo'),
    toolButton('tag', 'Add Keyword...', 'addKeyword', 'L'),
    toolButton('file-code', 'View Source', 'viewSource'),
  );
  showFlags(model.flags.flagged, model.flags.seen);
  return bar;
}
let status: HTMLElement | undefined;

function items(n: number): string {
  return `${n} ${n === 1 ? 'item' : 'items'}`;
}

/** The remote-content bar: blocked (offer to load) or loaded (say so, offer to block again). */
function remoteBar(model: MessageViewModel, card?: { index: number }): HTMLElement {
  const remote = model.remote;
  const bar = el('div', remote.state === 'loaded' ? 'remote-bar loaded' : 'remote-bar');
  bar.setAttribute('role', 'status');
  if (!card) {
    bar.id = 'remote-bar';
  }
  bar.dataset.state = remote.state;
  const buttons = el('span', 'remote-buttons');
  let text: string;
  if (remote.state === 'loaded') {
    text = remote.scope === 'sender' && remote.sender ? `Remote content loaded: you allowed it for ${remote.sender}.` : 'Remote content loaded for this message.';
    if (remote.failed > 0) {
      text += ` ${remote.failed} of ${items(remote.items)} could not be loaded.`;
    }
    buttons.append(button('Block again', () => post(card ? { type: 'cardRemote', index: card.index, load: false, state: shownState } : { type: 'blockRemote' }), { secondary: true }));
  } else {
    text = remote.unverified
      ? `Remote content blocked (${items(remote.items)}). ${remote.sender} is a trusted sender, but your mail server did not confirm that this message comes from them (unverified).`
      : `Remote content blocked (${items(remote.items)}). Loading it tells the sender that and when you read this message.`;
    if (remote.unverified) {
      bar.classList.add('unverified');
    }
    buttons.append(button('Load for this message', () => post(card ? { type: 'cardRemote', index: card.index, load: true, state: shownState } : { type: 'loadRemote', scope: 'message' })));
    // trusting a sender for good is offered in the message view (Open in its own tab)
    if (remote.sender && !remote.unverified && !card) {
      buttons.append(button(`Always for ${remote.sender}`, () => post({ type: 'loadRemote', scope: 'sender' }), { secondary: true }));
    }
  }
  bar.append(el('span', remote.state === 'loaded' ? 'codicon codicon-globe' : 'codicon codicon-shield'), el('span', 'remote-text', text), buttons);
  return bar;
}

/** Alpha of a computed CSS color ("rgba(0, 0, 0, 0)", "transparent"); 1 when it cannot tell. */
function alphaOf(color: string): number {
  if (color === 'transparent') {
    return 0;
  }
  const match = /^rgba?\(([^)]*)\)$/.exec(color.trim());
  const parts = match ? match[1].split(/[\s,/]+/).filter(Boolean) : [];
  return parts.length === 4 ? Number.parseFloat(parts[3]) : 1;
}

function sameColor(a: string, b: string): boolean {
  return a.replace(/\s/g, '') === b.replace(/\s/g, '');
}

/** The background a text sits on: the first ancestor that paints one. */
function backgroundOf(element: Element, win: Window): string | undefined {
  for (let e: Element | null = element; e; e = e.parentElement) {
    const bg = win.getComputedStyle(e).backgroundColor;
    if (alphaOf(bg) > 0.5) {
      return bg;
    }
  }
  return undefined;
}

/** Whether a text node of a link is hidden from the reader by CSS (issue 15.4). */
function textHidden(node: Text, link: Element, win: Window): boolean {
  let opacity = 1;
  for (let e: Element | null = node.parentElement; e; e = e === link ? null : e.parentElement) {
    const style = win.getComputedStyle(e);
    opacity *= Number.parseFloat(style.opacity || '1');
    if (style.display === 'none' || style.visibility !== 'visible' || opacity < 0.1) {
      return true;
    }
    if ((style.overflow !== 'visible' || style.clipPath !== 'none' || style.clip !== 'auto') && (e.getBoundingClientRect().width < 2 || e.getBoundingClientRect().height < 2)) {
      return true;
    }
  }
  const parent = node.parentElement ?? link;
  const style = win.getComputedStyle(parent);
  if (Number.parseFloat(style.fontSize) < 4 || alphaOf(style.color) < 0.1) {
    return true;
  }
  const background = backgroundOf(parent, win);
  if (background && sameColor(background, style.color)) {
    return true;
  }
  const range = node.ownerDocument.createRange();
  range.selectNodeContents(node);
  const rect = range.getBoundingClientRect();
  const page = node.ownerDocument.documentElement.getBoundingClientRect();
  return rect.width < 1 || rect.height < 1 || rect.right <= page.left || rect.bottom <= page.top || rect.left >= page.right;
}

/** The text of a link as the reader sees it, and whether CSS hid some of it. */
function visibleText(link: HTMLElement): { text: string; hiddenText: boolean } {
  const doc = link.ownerDocument;
  const win = doc.defaultView;
  let text = '';
  let hiddenText = false;
  if (!win) {
    return { text: link.textContent ?? '', hiddenText };
  }
  const walker = doc.createTreeWalker(link, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode() as Text | null; node && text.length < 2000; node = walker.nextNode() as Text | null) {
    const data = node.data;
    if (data.trim() && textHidden(node, link, win)) {
      hiddenText = true;
      continue;
    }
    text += data;
  }
  return { text: text.slice(0, 2000), hiddenText };
}

function linkOf(target: EventTarget | null): HTMLElement | undefined {
  const node = target as Element | null;
  const anchor = node && typeof node.closest === 'function' ? node.closest('[data-href]') : null;
  return anchor instanceof HTMLElement || (anchor && 'dataset' in anchor) ? (anchor as HTMLElement) : undefined;
}

function wireFrame(frame: HTMLIFrameElement): void {
  const doc = frame.contentDocument;
  if (!doc) {
    return;
  }
  applyTheme(frame);
  const open = (event: Event) => {
    const link = linkOf(event.target);
    event.preventDefault();
    if (link?.dataset.href) {
      post({ type: 'openLink', href: link.dataset.href, deceptive: link.hasAttribute('data-mx-deceptive'), ...visibleText(link) });
    }
  };
  // a stack frame linked by the host: the view reports only its index
  const codeLink = (event: Event): boolean => {
    const anchor = (event.target as Element | null)?.closest?.('[data-mx-code]');
    const index = anchor ? Number(anchor.getAttribute('data-mx-code')) : NaN;
    if (!Number.isInteger(index)) {
      return false;
    }
    event.preventDefault();
    post({ type: 'openCodeLink', index, state: shownState });
    return true;
  };
  doc.addEventListener('click', (event) => {
    if (codeLink(event)) {
      return;
    }
    if (linkOf(event.target) || (event.target as Element | null)?.closest?.('a')) {
      open(event);
    }
  }, true);
  doc.addEventListener('auxclick', (event) => event.preventDefault(), true);
  doc.addEventListener('submit', (event) => event.preventDefault(), true);
  doc.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !codeLink(event) && linkOf(event.target)) {
      open(event);
    }
  }, true);
  const showTarget = (event: Event) => {
    const link = linkOf(event.target);
    if (status) {
      status.textContent = link?.dataset.href ?? '';
      status.classList.toggle('visible', Boolean(link));
    }
  };
  doc.addEventListener('mouseover', showTarget, true);
  doc.addEventListener('focusin', showTarget, true);
  doc.addEventListener('mouseout', () => status?.classList.remove('visible'), true);
  // the body's own height: the root's scroll height is never less than the frame (150 px by
  // default), which left an unpainted strip under a short mail
  const resize = () => {
    const height = doc.body ? doc.body.scrollHeight : doc.documentElement.scrollHeight;
    frame.style.height = `${Math.max(height, 60)}px`;
  };
  resize();
  const observer = new ResizeObserver(resize);
  observer.observe(doc.body ?? doc.documentElement);
  doc.querySelectorAll('img').forEach((img) => img.addEventListener('load', resize));
}

function calendarCard(card: CalendarView): HTMLElement {
  const section = el('section', card.cancelled ? 'calendar-card cancelled' : 'calendar-card');
  section.setAttribute('aria-label', 'Invitation');
  const title = el('div', 'calendar-title');
  const kind = card.cancelled ? 'Cancelled' : card.method === 'REQUEST' ? 'Invitation' : card.method === 'REPLY' ? 'Reply' : 'Event';
  title.append(el('span', 'codicon codicon-calendar'), el('span', 'calendar-kind', kind), el('span', 'calendar-summary', card.summary));
  section.append(title);
  const rows = el('div', 'rows');
  for (const row of [
    headerRow('When', new DisplayFormat(document.documentElement.lang).span(card.startIso, card.endIso, card.allDay) || card.when),
    headerRow('Where', card.location),
    headerRow('Organizer', card.organizer),
    headerRow('Invited', card.attendees ? `${card.attendees} ${card.attendees === 1 ? 'person' : 'people'}` : ''),
  ]) {
    if (row) {
      rows.append(row);
    }
  }
  section.append(rows);
  const actions = el('div', 'calendar-actions');
  actions.append(
    button('Open .ics', () => post({ type: 'openAttachment', id: card.id, state: shownState }), { secondary: true, title: `Open ${card.filename}` }),
    button('Save...', () => post({ type: 'saveAttachment', id: card.id, state: shownState }), { secondary: true, title: `Save ${card.filename}` }),
  );
  section.append(actions);
  return section;
}

function render(model: MessageViewModel): void {
  app.replaceChildren();
  const header = el('header', 'message-header');
  if (model.origin === 'imap') {
    header.append(toolbar(model));
  }
  const subject = el('h1', 'subject', model.subject);
  subject.id = 'subject';
  header.append(subject);
  const rows = el('div', 'rows');
  for (const row of [
    headerRow('From', model.from, model.more.from),
    headerRow('Reply-To', model.replyTo.length && JSON.stringify(model.replyTo) !== JSON.stringify(model.from) ? model.replyTo : [], model.more.replyTo),
    headerRow('To', model.to, model.more.to),
    headerRow('Cc', model.cc, model.more.cc),
    headerRow('Date', new DisplayFormat(document.documentElement.lang).full(model.dateIso) || model.date),
  ]) {
    if (row) {
      rows.append(row);
    }
  }
  header.append(rows);
  if (model.keywords.length) {
    const row = headerRow('Keywords', model.keywords.join(', '));
    if (row) {
      rows.append(row);
    }
  }
  app.append(header);
  noticeBar = el('div', 'notice');
  noticeBar.hidden = true;
  noticeBar.setAttribute('role', 'status');
  app.append(noticeBar);

  for (const notice of model.notices) {
    const bar = el('div', 'notice');
    bar.setAttribute('role', 'status');
    bar.textContent = notice;
    app.append(bar);
  }

  if (model.truncated) {
    const bar = el('div', 'notice notice-actions');
    bar.setAttribute('role', 'status');
    bar.append(el('span', '', 'A size limit applies: the end of this message is not shown.'), button('Show the whole message', () => post({ type: 'showWhole', state: shownState }), { secondary: true }));
    app.append(bar);
  }

  if (model.calendar) {
    app.append(calendarCard(model.calendar));
  }

  if (model.remote.state !== 'none') {
    app.append(remoteBar(model));
  }

  if (model.attachments.length) {
    const list = el('section', 'attachments');
    list.setAttribute('aria-label', 'Attachments');
    list.append(el('div', 'attachments-title', `${model.attachments.length} ${model.attachments.length === 1 ? 'attachment' : 'attachments'}`));
    for (const a of model.attachments) {
      const item = el('div', 'attachment');
      const info = el('span', 'attachment-info');
      info.append(el('span', a.message ? 'codicon codicon-mail' : 'codicon codicon-file'), el('span', 'attachment-name', a.filename), el('span', 'attachment-meta', `${a.contentType} · ${a.sizeLabel}`));
      const actions = el('span', 'attachment-actions');
      actions.append(
        button('Open', () => post({ type: 'openAttachment', id: a.id, state: shownState }), { secondary: true, title: a.message ? `Open the attached message ${a.filename}` : `Open ${a.filename}` }),
        button('Save As...', () => post({ type: 'saveAttachment', id: a.id, state: shownState }), { secondary: true, title: `Save ${a.filename}` }),
      );
      item.append(info, actions);
      list.append(item);
    }
    app.append(list);
  }

  const frame = document.createElement('iframe');
  frame.className = model.paper ? 'body-frame paper' : 'body-frame';
  frame.title = 'Message body';
  // allow-same-origin only, never allow-scripts: the view can wire links, the mail can run nothing
  frame.setAttribute('sandbox', 'allow-same-origin');
  frame.setAttribute('referrerpolicy', 'no-referrer');
  frame.addEventListener('load', () => wireFrame(frame));
  frame.srcdoc = model.document;
  currentFrame = frame;
  app.append(frame);

  status = el('div', 'link-status');
  status.setAttribute('aria-hidden', 'true');
  app.append(status);
}

// The conversation view (issue 13): one card per message, oldest first. A card's header is a
// button that opens or closes it; its body frame is made when it first opens. Every card's body
// is the host's sanitized document in the same sandboxed frame as the message view's.
const cardFrames = new Set<HTMLIFrameElement>();
let conversationCards: ConversationCard[] = [];

function bodyFrame(model: MessageViewModel): HTMLIFrameElement {
  const frame = document.createElement('iframe');
  frame.className = model.paper ? 'body-frame paper' : 'body-frame';
  frame.title = 'Message body';
  // allow-same-origin only, never allow-scripts: the view can wire links, the mail can run nothing
  frame.setAttribute('sandbox', 'allow-same-origin');
  frame.setAttribute('referrerpolicy', 'no-referrer');
  frame.addEventListener('load', () => wireFrame(frame));
  frame.srcdoc = model.document;
  return frame;
}

function cardButton(icon: string, label: string, action: CardAction, index: number): HTMLElement {
  const b = document.createElement('vscode-toolbar-button');
  b.setAttribute('icon', icon);
  b.setAttribute('label', label);
  b.setAttribute('title', label);
  b.dataset.action = action;
  b.addEventListener('click', (event) => {
    event.stopPropagation();
    post({ type: 'cardAction', index, action, state: shownState });
  });
  return b;
}

function conversationButton(icon: string, label: string, action: ConversationAction): HTMLElement {
  const b = button(label, () => post({ type: 'conversationAction', action, state: shownState }), { secondary: true, icon });
  b.dataset.action = action;
  return b;
}

function senderName(model: MessageViewModel): string {
  const first = model.from[0];
  return first ? first.name || first.address : '(unknown sender)';
}

function setCardFlags(article: HTMLElement, index: number, seen: boolean, flagged: boolean): void {
  article.classList.toggle('unread', !seen);
  article.classList.toggle('flagged', flagged);
  article.dataset.seen = String(seen);
  article.dataset.flagged = String(flagged);
  const flag = article.querySelector<HTMLElement>('[data-action="toggleFlag"]');
  setToggle(flag ?? undefined, flagged ? 'star-full' : 'star-empty', flagged ? 'Unflag' : 'Flag');
  const read = article.querySelector<HTMLElement>('[data-action="toggleRead"]');
  setToggle(read ?? undefined, seen ? 'mail' : 'mail-read', seen ? 'Mark Unread' : 'Mark Read');
  const state = article.querySelector<HTMLElement>('.card-state');
  if (state) {
    state.className = `card-state codicon ${flagged ? 'codicon-star-full' : !seen ? 'codicon-circle-filled' : ''}`;
    state.title = [!seen ? 'Unread' : '', flagged ? 'Flagged' : ''].filter(Boolean).join(', ');
  }
  const card = conversationCards[index];
  if (card) {
    card.model.flags = { ...card.model.flags, seen, flagged };
  }
}

function setExpanded(article: HTMLElement, card: ConversationCard, expanded: boolean): void {
  article.classList.toggle('collapsed', !expanded);
  article.querySelector('.card-header')?.setAttribute('aria-expanded', String(expanded));
  const body = article.querySelector<HTMLElement>('.card-body')!;
  body.hidden = !expanded;
  if (expanded && !body.querySelector('iframe')) {
    const frame = bodyFrame(card.model);
    cardFrames.add(frame);
    body.append(frame);
  }
}

function cardElement(card: ConversationCard, index: number): HTMLElement {
  const model = card.model;
  const article = el('article', 'card');
  article.dataset.index = String(index);
  article.setAttribute('aria-label', `Message from ${senderName(model)}`);
  const header = el('div', 'card-header');
  header.setAttribute('role', 'button');
  header.tabIndex = 0;
  const from = el('span', 'card-from', senderName(model));
  from.title = model.from.map(formatAddress).join(', ');
  header.append(el('span', 'card-state codicon'), from);
  if (card.folder) {
    header.append(el('span', 'card-folder', card.folder));
  }
  header.append(el('span', 'card-snippet', card.snippet), el('span', 'card-date', new DisplayFormat(document.documentElement.lang).short(model.dateIso) || model.date));
  const toggle = () => setExpanded(article, card, article.classList.contains('collapsed'));
  header.addEventListener('click', toggle);
  header.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      toggle();
    }
  });
  article.append(header);

  const body = el('div', 'card-body');
  const bar = document.createElement('vscode-toolbar-container');
  bar.className = 'card-actions';
  bar.setAttribute('role', 'toolbar');
  bar.setAttribute('aria-label', 'Actions on this message');
  bar.append(
    cardButton('reply', 'Reply', 'reply', index),
    cardButton('mail-reply', 'Reply All', 'replyAll', index),
    cardButton('forward', 'Forward', 'forward', index),
    cardButton('star-empty', 'Flag', 'toggleFlag', index),
    cardButton('mail-read', 'Mark Read', 'toggleRead', index),
    cardButton('trash', 'Delete', 'delete', index),
    cardButton('link-external', 'Open in Its Own Tab', 'openInTab', index),
  );
  body.append(bar);
  const rows = el('div', 'rows card-rows');
  for (const row of [
    headerRow('From', model.from, model.more.from),
    headerRow('To', model.to, model.more.to),
    headerRow('Cc', model.cc, model.more.cc),
    headerRow('Date', new DisplayFormat(document.documentElement.lang).full(model.dateIso) || model.date),
  ]) {
    if (row) {
      rows.append(row);
    }
  }
  body.append(rows);
  const gone = el('div', 'notice card-gone');
  gone.setAttribute('role', 'status');
  gone.hidden = true;
  body.append(gone);
  for (const notice of model.notices) {
    const n = el('div', 'notice', notice);
    n.setAttribute('role', 'status');
    body.append(n);
  }
  if (model.truncated) {
    body.append(el('div', 'notice', 'A size limit applies: the end of this message is not shown. Open it in its own tab to see all of it.'));
  }
  if (model.remote.state !== 'none') {
    body.append(remoteBar(model, { index }));
  }
  if (model.attachments.length || model.calendar) {
    const names = model.attachments.map((a) => a.filename);
    body.append(el('div', 'card-attachments', `${names.length + (model.calendar ? 1 : 0)} attached: ${[...names, ...(model.calendar ? [model.calendar.filename] : [])].join(', ')} (open the message in its own tab to open them)`));
  }
  article.append(body);
  setCardFlags(article, index, model.flags.seen, model.flags.flagged);
  setExpanded(article, card, card.expanded);
  if (card.gone) {
    markGone(article, card.gone);
  }
  return article;
}

function markGone(article: HTMLElement, text: string): void {
  article.classList.add('gone');
  const gone = article.querySelector<HTMLElement>('.card-gone');
  if (gone) {
    gone.textContent = text;
    gone.hidden = false;
  }
  // the message is not where the card says any more: none of its actions applies
  article.querySelectorAll('.card-actions vscode-toolbar-button').forEach((b) => b.setAttribute('disabled', ''));
}

function renderConversation(subject: string, cards: ConversationCard[], omitted: number): void {
  app.replaceChildren();
  cardFrames.clear();
  currentFrame = undefined;
  conversationCards = cards;
  const header = el('header', 'message-header conversation-header');
  const actions = el('div', 'conversation-actions');
  actions.setAttribute('role', 'toolbar');
  actions.setAttribute('aria-label', 'Actions on the whole conversation');
  actions.append(
    conversationButton('mail-read', 'Mark All Read', 'markAllRead'),
    conversationButton('archive', 'Archive All', 'archiveAll'),
    conversationButton('trash', 'Delete All', 'deleteAll'),
    conversationButton('star-full', 'Flag All', 'flagAll'),
    conversationButton('star-empty', 'Unflag All', 'unflagAll'),
  );
  const title = el('h1', 'subject', subject);
  title.id = 'subject';
  const count = `${cards.length} ${cards.length === 1 ? 'message' : 'messages'}`;
  header.append(title, el('div', 'conversation-meta', count), actions);
  app.append(header);
  if (omitted > 0) {
    const bar = el('div', 'notice', `${omitted} ${omitted === 1 ? 'message of this conversation is' : 'messages of this conversation are'} not shown (older, or could not be loaded).`);
    bar.setAttribute('role', 'status');
    app.append(bar);
  }
  const list = el('div', 'cards');
  cards.forEach((card, index) => list.append(cardElement(card, index)));
  app.append(list);
  status = el('div', 'link-status');
  status.setAttribute('aria-hidden', 'true');
  app.append(status);
}

/**
 * The conversation view's keys, the message view's keys acting on the current card (the card that
 * holds the focus, else the newest open one), plus J/K (next/previous card) and O (open/close).
 * Not while typing, and never with Ctrl/Cmd/Alt (VS Code's own keys).
 */
const CARD_KEYS: Readonly<Record<string, CardAction>> = {
  r: 'reply', a: 'replyAll', f: 'forward', s: 'toggleFlag', e: 'archive', '!': 'junk', v: 'moveTo', l: 'addKeyword',
  I: 'markRead', U: 'markUnread', Delete: 'delete',
};

function currentCard(): HTMLElement | undefined {
  const focused = document.activeElement instanceof HTMLElement ? document.activeElement.closest<HTMLElement>('.card') : null;
  return focused ?? [...app.querySelectorAll<HTMLElement>('.card:not(.collapsed)')].pop() ?? undefined;
}

function focusCard(step: 1 | -1): void {
  const headers = [...app.querySelectorAll<HTMLElement>('.card-header')];
  if (!headers.length) {
    return;
  }
  const current = currentCard();
  const at = current ? headers.indexOf(current.querySelector<HTMLElement>('.card-header')!) : -1;
  const next = headers[Math.min(headers.length - 1, Math.max(0, at < 0 ? (step > 0 ? 0 : headers.length - 1) : at + step))];
  next.focus();
  next.scrollIntoView({ block: 'nearest' });
}

document.addEventListener('keydown', (event) => {
  if (!conversationCards.length || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) {
    return;
  }
  const target = event.target instanceof HTMLElement ? event.target : undefined;
  if (target?.closest('input, textarea, select, [contenteditable]')) {
    return;
  }
  const key = event.key.length === 1 && !event.shiftKey ? event.key.toLowerCase() : event.key;
  if (key === 'j' || key === 'k') {
    event.preventDefault();
    focusCard(key === 'j' ? 1 : -1);
    return;
  }
  const card = currentCard();
  if (!card) {
    return;
  }
  if (key === 'o') {
    event.preventDefault();
    card.querySelector<HTMLElement>('.card-header')?.click();
    return;
  }
  const action = CARD_KEYS[key];
  // a card whose message left the folder has its actions disabled: its keys do nothing either
  if (action && !card.querySelector('.card-actions vscode-toolbar-button[disabled]')) {
    event.preventDefault();
    post({ type: 'cardAction', index: Number(card.dataset.index), action, state: shownState });
  }
});

function cardAt(index: number): HTMLElement | undefined {
  return app.querySelector<HTMLElement>(`.card[data-index="${index}"]`) ?? undefined;
}

function updateCard(index: number, seen: boolean, flagged: boolean, gone?: string): void {
  const article = cardAt(index);
  if (article) {
    setCardFlags(article, index, seen, flagged);
    if (gone) {
      markGone(article, gone);
    }
  }
}

function replaceCard(index: number, card: ConversationCard): void {
  const article = cardAt(index);
  if (article) {
    article.querySelectorAll('iframe').forEach((f) => cardFrames.delete(f));
    conversationCards[index] = card;
    article.replaceWith(cardElement(card, index));
  }
}

function showLoading(title: string, phase?: 'rendering'): void {
  app.replaceChildren();
  const box = el('div', 'loading');
  box.dataset.phase = phase ?? 'loading';
  box.append(el('span', 'codicon codicon-loading codicon-modifier-spin'), el('span', '', `${phase === 'rendering' ? 'Preparing' : 'Loading'} ${title}...`));
  app.append(box);
}

function showError(title: string, message: string): void {
  app.replaceChildren();
  const box = el('div', 'error-page');
  box.append(el('h1', 'subject', title), el('p', '', message));
  app.append(box);
}

window.addEventListener('message', (event: MessageEvent<HostToView>) => {
  const message = event.data;
  switch (message?.type) {
    case 'loading':
      showLoading(message.title, message.phase);
      break;
    case 'show':
      // kept with the webview: a hidden panel that VS Code reloads shows the message at once
      vscode.setState({ ref: message.state, model: message.model });
      shownState = message.state;
      render(message.model);
      break;
    case 'error':
      showError(message.title, message.message);
      break;
    case 'conversation':
      shownState = message.state;
      renderConversation(message.subject, message.cards, message.omitted);
      break;
    case 'card':
      if (message.state === shownState) {
        updateCard(message.index, message.seen, message.flagged, message.gone);
      }
      break;
    case 'cardBody':
      if (message.state === shownState) {
        replaceCard(message.index, message.card);
      }
      break;
    case 'flags':
      showFlags(message.flagged, message.seen);
      break;
    case 'notice':
      if (noticeBar) {
        noticeBar.textContent = message.text;
        noticeBar.hidden = false;
      }
      break;
  }
});

new MutationObserver(() => {
  if (currentFrame) {
    applyTheme(currentFrame);
  }
  cardFrames.forEach((frame) => applyTheme(frame));
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

const saved = vscode.getState() as { ref?: string; model?: MessageViewModel } | undefined;
if (saved?.model) {
  shownState = typeof saved.ref === 'string' ? saved.ref : '';
  render(saved.model);
}
post({ type: 'ready' });
