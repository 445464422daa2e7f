// The account form's script: @vscode-elements components, keyboard-friendly (Enter submits),
// prefilling host and user from the email address, and showing the host's verdicts as text.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-form-helper/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import { type CertificateView, type FormHostToView, type FormValues, type FormViewToHost } from '../src/accounts/formProtocol';
import { DEFAULT_PORTS, type OAuthProviderId, type Security, serverSavesSentByDefault, suggestFromEmail, suggestSmtp } from '../src/core/account';
import { PRESETS } from '../src/core/auth/providers';
import { el } from './dom';
import { DisplayFormat } from '../src/core/dates';

interface VsCodeApi {
  postMessage(message: FormViewToHost): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;

type Field = keyof FormValues;
type SelectField = 'signIn' | 'oauthProvider' | 'oauthFlow' | 'commandOutput';
type CheckField = 'smtpSameLogin' | 'serverSavesSent';
interface CheckElement extends HTMLElement {
  checked: boolean;
}
const checks = new Map<CheckField, CheckElement>();
let lastSmtpSuggestion: string | undefined;
interface ValueElement extends HTMLElement {
  value: string;
}

const inputs = new Map<Field, ValueElement>();
const helpers = new Map<Field, HTMLElement>();
let mode: 'add' | 'edit' = 'add';
let pinned: string | undefined;
let lastSuggestion: { host?: string; user?: string } = {};

function field(name: Field, label: string, help: string, options: { type?: string; placeholder?: string; required?: boolean } = {}): HTMLElement {
  const row = el('div', 'field');
  const lab = document.createElement('vscode-label');
  lab.setAttribute('for', `f-${name}`);
  lab.textContent = label;
  if (options.required) {
    lab.setAttribute('required', '');
  }
  const input = document.createElement('vscode-textfield') as unknown as ValueElement;
  input.id = `f-${name}`;
  input.setAttribute('name', name);
  if (options.type) {
    input.setAttribute('type', options.type);
  }
  if (options.placeholder) {
    input.setAttribute('placeholder', options.placeholder);
  }
  input.addEventListener('keydown', (event: KeyboardEvent) => {
    if (event.key === 'Enter') {
      submit('save');
    }
  });
  const helper = document.createElement('vscode-form-helper');
  helper.id = `h-${name}`;
  helper.textContent = help;
  input.setAttribute('aria-describedby', helper.id);
  row.append(lab, input, helper);
  inputs.set(name, input);
  helpers.set(name, helper);
  return row;
}

function checkbox(name: CheckField, label: string, onChange?: () => void): HTMLElement {
  const box = document.createElement('vscode-checkbox') as unknown as CheckElement;
  box.id = `f-${name}`;
  box.setAttribute('label', label);
  box.addEventListener('change', () => onChange?.());
  checks.set(name, box);
  const row = el('div', 'field checkbox');
  row.append(box);
  return row;
}

function securityField(name: 'security' | 'smtpSecurity' = 'security', choices: ReadonlyArray<readonly [string, string]> = [
  ['tls', 'TLS (port 993)'],
  ['starttls', 'STARTTLS (port 143), required'],
  ['none', 'None: password sent in clear text'],
], ports: Record<string, number> = DEFAULT_PORTS): HTMLElement {
  const row = el('div', 'field');
  const lab = document.createElement('vscode-label');
  lab.setAttribute('for', `f-${name}`);
  lab.textContent = 'Security';
  const select = document.createElement('vscode-single-select') as unknown as ValueElement;
  select.id = `f-${name}`;
  for (const [value, text] of choices) {
    const option = document.createElement('vscode-option');
    option.setAttribute('value', value);
    option.textContent = text;
    select.append(option);
  }
  const helper = document.createElement('vscode-form-helper');
  helper.id = `h-${name}`;
  helper.textContent = 'STARTTLS is never skipped: if the server does not offer it, the connection stops before the password is sent.';
  select.setAttribute('aria-describedby', helper.id);
  trackSelect(name, select, choices[0][0]);
  select.addEventListener('change', () => {
    const security = select.value as Security;
    const port = inputs.get(name === 'security' ? 'port' : 'smtpPort')!;
    if (Object.values(ports).map(String).includes(port.value) || !port.value) {
      port.value = String(ports[security]);
    }
    if (name === 'security') {
      warning.hidden = security !== 'none';
    }
  });
  row.append(lab, select, helper);
  inputs.set(name, select);
  helpers.set(name, helper);
  return row;
}

const SMTP_PORTS: Record<string, number> = { starttls: 587, tls: 465, none: 25 };

const warning = el('div', 'warning', 'Without encryption, anyone on the network path can read your password and your mail. Use this only for a server on this machine or a test server.');
warning.setAttribute('role', 'alert');
warning.hidden = true;

const status = el('div', 'status');
status.setAttribute('role', 'status');
status.setAttribute('aria-live', 'polite');
const certBox = el('section', 'certificate');
certBox.hidden = true;

function values(): FormValues {
  const get = current;
  const yes = (f: CheckField) => (checks.get(f)?.checked ? 'yes' : 'no') as 'yes' | 'no';
  return {
    email: get('email'),
    displayName: get('displayName'),
    host: get('host'),
    port: get('port'),
    security: (get('security') || 'tls') as Security,
    user: get('user'),
    password: get('password'),
    smtpHost: get('smtpHost'),
    smtpPort: get('smtpPort'),
    smtpSecurity: (get('smtpSecurity') || 'starttls') as Security,
    smtpSameLogin: yes('smtpSameLogin'),
    smtpUser: get('smtpUser'),
    smtpPassword: get('smtpPassword'),
    serverSavesSent: yes('serverSavesSent'),
    signIn: (get('signIn') || 'password') as FormValues['signIn'],
    oauthProvider: (get('oauthProvider') || 'generic') as OAuthProviderId,
    oauthIssuer: get('oauthIssuer'),
    oauthClientId: get('oauthClientId'),
    oauthTenant: get('oauthTenant'),
    oauthScopes: get('oauthScopes'),
    oauthFlow: (get('oauthFlow') || 'browser') as FormValues['oauthFlow'],
    oauthClientSecret: get('oauthClientSecret'),
    command: get('command'),
    commandOutput: (get('commandOutput') || 'password') as FormValues['commandOutput'],
  };
}

/** A labelled single-select; `onChange` runs after the value changed. */
function select(name: SelectField, label: string, choices: ReadonlyArray<readonly [string, string]>, help: string, onChange?: () => void): HTMLElement {
  const row = el('div', 'field');
  const lab = document.createElement('vscode-label');
  lab.setAttribute('for', `f-${name}`);
  lab.textContent = label;
  const box = document.createElement('vscode-single-select') as unknown as ValueElement;
  box.id = `f-${name}`;
  for (const [value, text] of choices) {
    const option = document.createElement('vscode-option');
    option.setAttribute('value', value);
    option.textContent = text;
    box.append(option);
  }
  const helper = document.createElement('vscode-form-helper');
  helper.id = `h-${name}`;
  helper.textContent = help;
  box.setAttribute('aria-describedby', helper.id);
  trackSelect(name, box, choices[0]?.[0] ?? '');
  box.addEventListener('change', () => {
    touched.add(name);
    onChange?.();
  });
  row.append(lab, box, helper);
  inputs.set(name, box);
  helpers.set(name, helper);
  return row;
}

/** Fields the user changed by hand: suggestions from the address never overwrite them. */
const touched = new Set<Field>();

/**
 * The value of each single-select, kept by the form. A vscode-single-select made in this turn has
 * not read its options yet: a value set on it can be dropped and reading it gives '' (the sign-in
 * fields were hidden at random when the form opened). The form reads this map, and sets a value
 * again once the element has rendered.
 */
const selected = new Map<Field, string>();

function trackSelect(name: Field, box: ValueElement, initial: string): void {
  selected.set(name, initial);
  box.addEventListener('change', () => {
    if (box.value) {
      selected.set(name, box.value);
    }
  });
}

function setSelect(name: Field, box: ValueElement, value: string): void {
  selected.set(name, value);
  box.value = value;
  const rendered = (box as unknown as { updateComplete?: Promise<unknown> }).updateComplete;
  void rendered?.then(() => {
    if (selected.get(name) === value && box.value !== value) {
      box.value = value;
    }
  });
}

/** A field's value: the kept value of a select, the element's value otherwise. */
function current(name: Field): string {
  return selected.get(name) ?? inputs.get(name)?.value ?? '';
}
const passwordBox = el('div', 'signin-password');
const oauthBox = el('div', 'signin-oauth');
const commandBox = el('div', 'signin-command');
const signInStatus = el('div', 'signin-status');
signInStatus.setAttribute('role', 'status');
signInStatus.setAttribute('aria-live', 'polite');
const deviceBox = el('div', 'device-code');
deviceBox.hidden = true;

function setValue(name: Field, value: string): void {
  const input = inputs.get(name);
  if (input && selected.has(name)) {
    setSelect(name, input, value);
  } else if (input) {
    input.value = value;
  }
}

/** Shows the fields of the chosen sign-in method and provider. */
function showSignIn(): void {
  const method = current('signIn') || 'password';
  passwordBox.hidden = method !== 'password';
  oauthBox.hidden = method !== 'oauth2';
  commandBox.hidden = method !== 'command';
  const provider = (current('oauthProvider') || 'generic') as OAuthProviderId;
  issuerRow.hidden = provider !== 'generic';
  tenantRow.hidden = provider !== 'microsoft';
  const scopes = inputs.get('oauthScopes');
  scopes?.setAttribute('placeholder', PRESETS[provider].scopes.join(' '));
  const vscodeOption = inputs.get('oauthFlow')?.querySelector('vscode-option[value="vscode"]') as HTMLElement | null;
  if (vscodeOption) {
    vscodeOption.hidden = provider !== 'microsoft';
  }
  if (provider !== 'microsoft' && current('oauthFlow') === 'vscode') {
    setValue('oauthFlow', 'browser');
  }
  const same = checks.get('smtpSameLogin');
  same?.setAttribute('label', method === 'password' ? 'Sign in with the IMAP user name and password' : 'Sign in as for IMAP (same user and sign-in)');
}

function markSignedIn(state: boolean, text: string, failed = false): void {
  signInStatus.textContent = text;
  signInStatus.className = `signin-status${failed ? ' failed' : state ? ' ok' : ''}`;
  signInButton.textContent = state ? 'Sign In Again' : 'Sign In';
  cancelSignIn.hidden = true;
  if (!failed && !state && text) {
    cancelSignIn.hidden = false;
  }
  if (state || failed) {
    deviceBox.hidden = true;
  }
}

const signInButton = document.createElement('vscode-button');
signInButton.id = 'sign-in';
signInButton.textContent = 'Sign In';
signInButton.addEventListener('click', () => {
  clearErrors();
  vscode.postMessage({ type: 'signIn', values: values() });
});
const cancelSignIn = document.createElement('vscode-button');
cancelSignIn.id = 'cancel-sign-in';
cancelSignIn.setAttribute('secondary', '');
cancelSignIn.textContent = 'Cancel Sign-in';
cancelSignIn.hidden = true;
cancelSignIn.addEventListener('click', () => vscode.postMessage({ type: 'cancelSignIn' }));
let issuerRow: HTMLElement;
let tenantRow: HTMLElement;

function showSmtpLogin(): void {
  const same = checks.get('smtpSameLogin')?.checked ?? true;
  smtpLogin.hidden = same;
}
const smtpLogin = el('div', 'smtp-login');

function clearErrors(): void {
  for (const [name, helper] of helpers) {
    helper.classList.remove('error');
    helper.textContent = helper.dataset.help ?? helper.textContent;
    inputs.get(name)?.removeAttribute('invalid');
  }
}

function submit(action: 'test' | 'save' | 'diagnose'): void {
  clearErrors();
  vscode.postMessage({ type: 'submit', action, values: values() });
}

function setBusy(text: string | undefined): void {
  status.replaceChildren();
  status.className = 'status';
  if (text) {
    const ring = document.createElement('vscode-progress-ring');
    status.append(ring, el('span', '', text));
  }
  document.querySelectorAll('vscode-button').forEach((b) => (b as HTMLElement & { disabled: boolean }).disabled = Boolean(text));
}

function showCertificate(cert: CertificateView | undefined, canTrust: boolean): void {
  certBox.replaceChildren();
  certBox.hidden = !cert;
  if (!cert) {
    return;
  }
  certBox.append(el('h2', '', cert.selfSigned ? 'Self-signed certificate' : 'Certificate not trusted'));
  const dl = el('dl');
  for (const [k, v] of [
    ['Subject', cert.subject],
    ['Issuer', cert.issuer],
    ['Valid until', new DisplayFormat(document.documentElement.lang).day(cert.validTo) || cert.validTo],
    ['SHA-256', cert.sha256],
  ]) {
    dl.append(el('dt', '', k), el('dd', k === 'SHA-256' ? 'fingerprint' : '', v));
  }
  certBox.append(dl);
  if (canTrust) {
    certBox.append(el('p', '', 'Compare this fingerprint with the one your server administrator gave you. Trusting it pins exactly this certificate for this account: any other certificate, even a valid one, will be refused.'));
    const trust = document.createElement('vscode-button');
    trust.id = 'trust-certificate';
    trust.textContent = 'Trust this certificate';
    trust.addEventListener('click', () => vscode.postMessage({ type: 'trust', sha256: cert.sha256, values: values() }));
    certBox.append(trust);
  }
}

function showPinned(): void {
  pinnedBox.replaceChildren();
  pinnedBox.hidden = !pinned;
  if (pinned) {
    pinnedBox.append(el('span', '', 'Pinned certificate (SHA-256): '), el('code', 'fingerprint', pinned));
    const forget = document.createElement('vscode-button');
    forget.setAttribute('secondary', '');
    forget.textContent = 'Forget';
    forget.addEventListener('click', () => vscode.postMessage({ type: 'forgetPin', values: values() }));
    pinnedBox.append(forget);
  }
}
const pinnedBox = el('div', 'pinned');
pinnedBox.hidden = true;

function build(): void {
  const form = el('div', 'form');
  form.setAttribute('role', 'form');
  const title = el('h1', '', mode === 'add' ? 'Add Mail Account' : 'Edit Account');
  const intro = el('p', 'intro', 'The connection is tested before anything is saved. The password goes to VS Code\'s secret storage, never to settings.');
  form.append(
    title,
    intro,
    field('email', 'Email address', 'Host and user name are filled in from it.', { type: 'email', placeholder: 'you@example.com', required: true }),
    field('displayName', 'Your name', 'Shown on mail you send (optional).', { placeholder: 'Ada Lovelace' }),
    field('host', 'IMAP server', 'For example imap.example.com.', { placeholder: 'imap.example.com', required: true }),
    securityField(),
    warning,
    field('port', 'Port', '993 for TLS, 143 for STARTTLS.', { type: 'number', required: true }),
    field('user', 'User name', 'Often the email address.', { required: true }),
    select('signIn', 'Sign-in method', [['password', 'Password'], ['oauth2', 'OAuth 2.0 (Microsoft 365, Google, your own provider)'], ['command', 'Command (pass, secret-tool, op, oama, pizauth, gcloud, az)']], 'Filled in from the address where it can be told.', showSignIn),
    passwordBox,
    oauthBox,
    commandBox,
    pinnedBox,
    el('h2', 'section', 'Outgoing mail (SMTP)'),
    field('smtpHost', 'SMTP server', 'For replies and new mail; leave empty to only read mail.', { placeholder: 'smtp.example.com' }),
    securityField('smtpSecurity', [['starttls', 'STARTTLS (port 587), required'], ['tls', 'TLS (port 465)'], ['none', 'None: password sent in clear text']], SMTP_PORTS),
    field('smtpPort', 'Port', '587 for STARTTLS, 465 for TLS.', { type: 'number' }),
    checkbox('smtpSameLogin', 'Sign in with the IMAP user name and password', showSmtpLogin),
    smtpLogin,
    checkbox('serverSavesSent', 'The server files sent mail in Sent itself (Gmail, Outlook)'),
  );
  passwordBox.append(field('password', 'Password', mode === 'edit' ? 'Leave empty to keep the stored password (it must have been given for this server).' : 'Stored in VS Code\'s secret storage, for this server only.', { type: 'password', required: mode === 'add' }));
  issuerRow = field('oauthIssuer', 'Issuer URL', 'Your provider\'s issuer; its /.well-known/openid-configuration is read. https, or http on this machine only.', { placeholder: 'https://login.example.com/realms/mail' });
  tenantRow = field('oauthTenant', 'Tenant', 'organizations (work and school accounts), common (also personal accounts), or your tenant id or domain.', { placeholder: 'organizations' });
  const copy = document.createElement('vscode-button');
  copy.id = 'copy-device-code';
  copy.setAttribute('secondary', '');
  copy.textContent = 'Copy Code';
  copy.addEventListener('click', () => vscode.postMessage({ type: 'copyDeviceCode' }));
  const signInRow = el('div', 'buttons signin-buttons');
  signInRow.append(signInButton, cancelSignIn);
  oauthBox.append(
    select('oauthProvider', 'Provider', [['microsoft', 'Microsoft 365 / Outlook.com'], ['google', 'Google'], ['generic', 'Other OpenID provider (issuer URL)']], 'Endpoints and scopes come from the provider.', showSignIn),
    issuerRow,
    tenantRow,
    field('oauthClientId', 'Client id', 'The application (client) id your organisation registered for mail; see the README. This extension ships none.', { required: true }),
    field('oauthClientSecret', 'Client secret (optional)', mode === 'edit' ? 'Leave empty to keep the stored one. Google desktop clients have one; most others do not.' : 'Only if your provider issued one (Google desktop clients). Kept in secret storage.', { type: 'password' }),
    field('oauthScopes', 'Scopes', 'Space-separated; the provider\'s mail scopes when empty.'),
    select('oauthFlow', 'Sign in with', [['browser', 'The system browser'], ['device', 'A device code (Remote-SSH, code-server, no local browser)'], ['vscode', 'My Microsoft account in VS Code']], 'The browser sign-in redirects to a port on 127.0.0.1 that is open only while you sign in.'),
    signInRow,
    signInStatus,
    deviceBox,
  );
  deviceBox.append(el('p', 'device-intro', 'Open the address below on any device, sign in, and enter this code:'), el('code', 'device-user-code', ''), el('p', 'device-uri', ''), copy);
  commandBox.append(
    field('command', 'Command', 'Run without a shell (no pipes or $VARIABLES), with a time limit; taken from your user settings only, never from a workspace.', { placeholder: 'pass show mail/work' }),
    select('commandOutput', 'It prints', [['password', 'The password (first line)'], ['token', 'An OAuth 2.0 access token']], 'oama, pizauth, gcloud auth print-access-token and az account get-access-token print tokens.'),
  );
  smtpLogin.append(
    field('smtpUser', 'SMTP user name', 'The IMAP user name when empty.'),
    field('smtpPassword', 'SMTP password', mode === 'edit' ? 'Leave empty to keep the stored password.' : 'Stored in VS Code\'s secret storage.', { type: 'password' }),
  );
  for (const helper of helpers.values()) {
    helper.dataset.help = helper.textContent ?? '';
  }
  const email = inputs.get('email')!;
  const suggest = () => {
    const s = suggestFromEmail(email.value);
    const host = inputs.get('host')!;
    const user = inputs.get('user')!;
    if (s.host && (!host.value || host.value === lastSuggestion.host)) {
      host.value = s.host;
    }
    if (s.user && (!user.value || user.value === lastSuggestion.user)) {
      user.value = s.user;
    }
    lastSuggestion = { host: s.host, user: s.user };
  };
  email.addEventListener('input', suggest);
  email.addEventListener('change', suggest);
  let lookupTimer: ReturnType<typeof setTimeout> | undefined;
  email.addEventListener('input', () => {
    clearTimeout(lookupTimer);
    lookupTimer = setTimeout(() => vscode.postMessage({ type: 'lookup', email: email.value }), 500);
  });
  for (const name of ['host', 'port', 'oauthIssuer', 'oauthClientId', 'oauthTenant'] as Field[]) {
    inputs.get(name)?.addEventListener('input', () => touched.add(name));
  }
  const host = inputs.get('host')!;
  const suggestOutgoing = () => {
    const smtpHost = inputs.get('smtpHost')!;
    const proposal = suggestSmtp(host.value.trim());
    if (host.value.trim() && (!smtpHost.value || smtpHost.value === lastSmtpSuggestion)) {
      smtpHost.value = proposal.host;
      lastSmtpSuggestion = proposal.host;
      const saves = checks.get('serverSavesSent');
      if (saves) {
        saves.checked = serverSavesSentByDefault(proposal.host);
      }
    }
  };
  host.addEventListener('input', suggestOutgoing);
  host.addEventListener('change', suggestOutgoing);
  email.addEventListener('input', () => setTimeout(suggestOutgoing, 0));

  const buttons = el('div', 'buttons');
  const save = document.createElement('vscode-button');
  save.id = 'save';
  save.textContent = mode === 'add' ? 'Test and Save' : 'Test and Save';
  save.addEventListener('click', () => submit('save'));
  const test = document.createElement('vscode-button');
  test.id = 'test';
  test.setAttribute('secondary', '');
  test.textContent = 'Test Connection';
  test.addEventListener('click', () => submit('test'));
  const diagnose = document.createElement('vscode-button');
  diagnose.id = 'diagnose';
  diagnose.setAttribute('secondary', '');
  diagnose.setAttribute('title', 'Run every check (DNS, TLS, certificate, capabilities, login, SMTP) and open a report');
  diagnose.textContent = 'Full Diagnosis';
  diagnose.addEventListener('click', () => submit('diagnose'));
  const cancel = document.createElement('vscode-button');
  cancel.setAttribute('secondary', '');
  cancel.textContent = 'Cancel';
  cancel.addEventListener('click', () => vscode.postMessage({ type: 'cancel' }));
  buttons.append(save, test, diagnose, cancel);
  form.append(buttons, status, certBox);
  app.replaceChildren(form);
}

window.addEventListener('message', (event: MessageEvent<FormHostToView>) => {
  const message = event.data;
  switch (message?.type) {
    case 'init': {
      mode = message.mode;
      pinned = message.pinned;
      build();
      for (const [name, value] of Object.entries(message.values) as Array<[Field, string]>) {
        setValue(name, value);
      }
      lastSuggestion = { host: message.values.host, user: message.values.user };
      lastSmtpSuggestion = message.values.smtpHost || undefined;
      checks.get('smtpSameLogin')!.checked = message.values.smtpSameLogin === 'yes';
      checks.get('serverSavesSent')!.checked = message.values.serverSavesSent === 'yes';
      showSmtpLogin();
      showSignIn();
      if (message.signedIn) {
        markSignedIn(true, 'Signed in.');
      }
      if (mode === 'edit') {
        touched.add('signIn');
      }
      warning.hidden = message.values.security !== 'none';
      showPinned();
      setTimeout(() => inputs.get('email')?.focus(), 50);
      break;
    }
    case 'busy':
      setBusy(message.text);
      break;
    case 'suggest': {
      if (message.email !== inputs.get('email')?.value || mode === 'edit') {
        break;
      }
      if (!touched.has('signIn')) {
        setValue('signIn', message.signIn);
        helpers.get('signIn')!.textContent = message.because ? `Suggested because ${message.because}.` : helpers.get('signIn')!.dataset.help ?? '';
        if (message.provider && !touched.has('oauthProvider')) {
          setValue('oauthProvider', message.provider);
        }
        showSignIn();
      }
      if (message.imap && !touched.has('host') && inputs.get('host')!.value === lastSuggestion.host) {
        setValue('host', message.imap.host);
        setValue('port', String(message.imap.port));
        setValue('security', message.imap.security);
        lastSuggestion = { ...lastSuggestion, host: message.imap.host };
      }
      if (message.smtp && inputs.get('smtpHost')!.value === (lastSmtpSuggestion ?? '')) {
        setValue('smtpHost', message.smtp.host);
        setValue('smtpPort', String(message.smtp.port));
        setValue('smtpSecurity', message.smtp.security);
        lastSmtpSuggestion = message.smtp.host;
      }
      break;
    }
    case 'deviceCode':
      deviceBox.hidden = false;
      deviceBox.querySelector('.device-user-code')!.textContent = message.userCode;
      deviceBox.querySelector('.device-uri')!.textContent = message.verificationUri;
      break;
    case 'signInState':
      markSignedIn(message.signedIn, message.text, message.failed === true);
      break;
    case 'result': {
      setBusy(undefined);
      pinned = message.pinned;
      showPinned();
      status.textContent = message.message;
      status.className = message.ok ? 'status ok' : 'status failed';
      for (const problem of message.fieldErrors ?? []) {
        const helper = helpers.get(problem.field as Field);
        if (helper) {
          helper.textContent = problem.message;
          helper.classList.add('error');
          inputs.get(problem.field as Field)?.setAttribute('invalid', '');
        }
      }
      showCertificate(message.certificate, message.canTrust === true);
      break;
    }
  }
});

vscode.postMessage({ type: 'ready' });
