// The connection doctor's report: one plain data object that the CLI prints as JSON, the Markdown
// renderer turns into a bug-report paste, and the VS Code side shows. This file is the documented
// shape of `reportToJson`: fields are only ever added, and `schema` changes when one changes meaning.
import { type Security } from '../account';
import { type MailErrorCode } from '../errors';

export const REPORT_SCHEMA = 'imap-explorer-doctor/1';

export type StepStatus = 'pass' | 'warn' | 'fail' | 'skip';
export type Protocol = 'imap' | 'smtp';

export type ImapStepId =
  | 'imap.dns'
  | 'imap.tcp'
  | 'imap.greeting'
  | 'imap.mode'
  | 'imap.tls'
  | 'imap.capability'
  /** The SASL mechanisms offered, and which one the account's sign-in uses. */
  | 'imap.sasl'
  | 'imap.login'
  | 'imap.extensions'
  | 'imap.mailboxes'
  | 'imap.roundtrip';

export type SmtpStepId = 'smtp.dns' | 'smtp.tcp' | 'smtp.greeting' | 'smtp.mode' | 'smtp.tls' | 'smtp.ehlo' | 'smtp.login';

/** `auth.token`: the OAuth 2.0 access token's non-secret claims (audience, scopes, expiry). */
export type StepId = 'input' | 'discovery' | 'auth.token' | ImapStepId | SmtpStepId;

export interface DoctorStep {
  id: StepId;
  title: string;
  status: StepStatus;
  /** Wall-clock time of the step in milliseconds (0 when skipped). */
  ms: number;
  /** What happened, in one or two plain sentences. */
  summary: string;
  /** Facts behind the summary, one per line (addresses tried, capabilities, certificate names...). */
  details: string[];
  /** What to change, for failed and warned steps. */
  fix?: string;
  /** The error code of a failure (or of a warning that has one), for the UI to map to an action. */
  code?: MailErrorCode;
}

/** A server and how to talk to it. */
export interface Endpoint {
  host: string;
  port: number;
  /** 'tls': TLS from the first byte (993, 465); 'starttls': plaintext upgraded (143, 587); 'none': no encryption. */
  security: Security;
  user?: string;
}

export type DiscoverySource = 'srv' | 'autoconfig' | 'well-known' | 'guess';

export interface DiscoveryAttempt {
  source: DiscoverySource;
  /** The DNS name or URL that was asked. */
  query: string;
  found: boolean;
  /** What came back, in words ("no such record", "imap.example.com:993 (TLS)"). */
  result: string;
  ms: number;
}

export interface DiscoveryReport {
  domain: string;
  /** The source whose answer was used; null when nothing answered. */
  source: DiscoverySource | null;
  attempts: DiscoveryAttempt[];
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** Subject alternative names as "DNS:name" / "IP:address". */
  sans: string[];
  /** ISO 8601. */
  validFrom: string;
  validTo: string;
  /** Whole days until validTo; negative once expired. */
  daysToExpiry: number;
  selfSigned: boolean;
  /** SHA-256 fingerprint, colon-separated upper-case hex (what a pin stores). */
  sha256: string;
  /** PEM of the certificates the server sent, leaf first: what pinning stores next to the fingerprint. */
  pem: string;
}

export interface ChainEntry {
  subject: string;
  issuer: string;
  sha256: string;
  /** ISO 8601. */
  validFrom: string;
  validTo: string;
  /** True when this certificate is one of the trust anchors (Node's store, a given CA, or the pinned chain). */
  inTrustStore: boolean;
  /** The common name (or the whole subject without one): how the advice names it. */
  name: string;
  role: 'leaf' | 'intermediate' | 'root';
  /** False for a root that came from the trust store. */
  sentByServer: boolean;
  selfSigned: boolean;
  /** basicConstraints CA:TRUE. */
  isCa: boolean;
  /** "SHA-256 with RSA", "ECDSA with SHA-384"... */
  signatureAlgorithm: string;
  /** "RSA 2048 bits", "EC". */
  key: string;
}

/** One problem of a certificate chain, tied to the certificate at fault (see chainCheck.ts). */
export interface ChainFinding {
  /** OpenSSL's X509_V_ERR name (CERT_HAS_EXPIRED...), or MISSING_ISSUER, WRONG_ISSUER_KEY, UNTRUSTED_ROOT, NAME_CONSTRAINT_VIOLATION, MD_TOO_WEAK, KEY_TOO_SMALL. */
  code: string;
  /** The name of the certificate at fault. */
  certificate: string;
  role: 'leaf' | 'intermediate' | 'root';
  text: string;
  fix: string;
}

export interface TlsReport {
  /** 'TLSv1.3', 'TLSv1.2'... as negotiated. */
  protocol: string;
  cipher: string;
  handshakeMs: number;
  /** The name checked against the certificate (the host the user gave). */
  hostname: string;
  /** Whether a server name (SNI) was sent: never for an IP address. */
  sniSent: boolean;
  hostMatches: boolean;
  certificate: CertificateInfo;
  /** The verification path: the server's certificate first, up to the trust anchor when one was reached. */
  chain: ChainEntry[];
  /** The certificates as the server sent them, in its order; null when the handshake could not be read. */
  sentChain: ChainEntry[] | null;
  /** How the certificate is trusted, by Node's verdict with the app's options: by a CA of the trust store, by the pinned certificate, or not at all. */
  trust: 'ca' | 'pin' | 'none';
  /** Node's verdict with exactly the TLS options the app uses (the pinned ones when a pin is given): null when it accepts. */
  verifyError: string | null;
  /** The doctor's own reading of the chain, and whether it explains Node's verdict. */
  chainCheck: { problems: ChainFinding[]; warnings: ChainFinding[]; agreesWithNode: boolean };
  /** Whether pinning this certificate would make the app accept it (checked with the app's own pinned options). */
  pinnable: boolean;
  /** `nodeAccepts`: Node's verdict on the pinned options, when the certificate is the pinned one. */
  pin?: { expected: string; matches: boolean; nodeAccepts?: boolean };
}

export interface CapabilityInfo {
  name: string;
  present: boolean;
  /** What having (or lacking) it means for the client. */
  meaning: string;
}

export interface FolderReport {
  name: string;
  delimiter: string | null;
  flags: string[];
  /** '\\Sent', '\\Trash'... from SPECIAL-USE; INBOX is '\\Inbox'. */
  specialUse: string | null;
}

export interface MailboxReport {
  folders: FolderReport[];
  /** Special-use roles no folder carries ('\\Sent', '\\Drafts', '\\Trash', '\\Junk', '\\Archive'). */
  missing: string[];
  inbox: { messages: number | null; unseen: number | null; uidValidity: number | null; uidNext: number | null; highestModseq: string | null } | null;
}

export interface RoundTripReport {
  noopMs: number | null;
  envelopeMs: number | null;
}

export interface TranscriptLine {
  protocol: Protocol;
  /** 'C' client to server, 'S' server to client, '*' a note of the doctor (TLS started, bytes discarded). */
  dir: 'C' | 'S' | '*';
  text: string;
  /** Milliseconds since the diagnosis started. */
  atMs: number;
}

/** One address of the host, tried on the tested port. */
export interface AddressReport {
  address: string;
  family: 4 | 6;
  /** Whether a TCP connection was made. */
  connected: boolean;
  /** Time to connect, or until it failed. */
  ms: number;
  /** Why it did not connect or did not answer, in words. */
  error: string | null;
  /** For an address that connected: the greeting line, or "TLS" with the certificate's fingerprint; null when it said nothing. */
  answer: string | null;
  /** SHA-256 fingerprint of the certificate it showed (TLS ports). */
  certificate: string | null;
}

export interface ServerReport {
  /** The settings that were checked (after discovery). */
  endpoint: Endpoint;
  /** The address the TCP connection went to. */
  address: string | null;
  /** Every A and AAAA address of the host, each tried on the port; empty when the host did not resolve. */
  addresses: AddressReport[];
  /** The security the port turned out to speak when it differs from the one asked for. */
  detectedSecurity: Security | null;
  /** The greeting line (IMAP "* OK ...", SMTP "220 ..."). */
  greeting: string | null;
  /** Server identification: the IMAP ID response or the SMTP greeting host. */
  serverId: Record<string, string> | null;
  tls: TlsReport | null;
}

export interface ImapReport extends ServerReport {
  /** CAPABILITY before login (after TLS). */
  capabilitiesBeforeLogin: string[];
  /** CAPABILITY before TLS, when STARTTLS was used (then discarded, as RFC 3501 6.2.1 asks). */
  capabilitiesBeforeTls: string[];
  authMechanisms: string[];
  capabilitiesAfterLogin: CapabilityInfo[];
  mailboxes: MailboxReport | null;
  roundTrip: RoundTripReport | null;
}

export interface SmtpReport extends ServerReport {
  /** EHLO keywords after TLS (or of the only EHLO without TLS). */
  extensions: string[];
  authMechanisms: string[];
}

export interface DoctorReport {
  schema: typeof REPORT_SCHEMA;
  /** ISO 8601 time the diagnosis started. */
  startedAt: string;
  durationMs: number;
  /** What the user asked to check, without any password. */
  input: string;
  verdict: {
    status: 'pass' | 'warn' | 'fail';
    /** One line: "PASS: ...", "PASS with 2 warnings: ...", "FAIL: <the first failure>". */
    line: string;
  };
  discovery: DiscoveryReport | null;
  imap: ImapReport | null;
  smtp: SmtpReport | null;
  steps: DoctorStep[];
  /** The fixes of failed steps, then of warned ones, without repeats. */
  fixes: string[];
  /** Commands that reproduce the connection by hand. */
  commands: string[];
  /** The protocol exchange, passwords and message contents redacted. */
  transcript: TranscriptLine[];
}

export interface DoctorTimeouts {
  /** TCP connect, per address. */
  connect: number;
  /** The server's first line after connecting (or after TLS). */
  greeting: number;
  /** The TLS handshake. */
  tls: number;
  /** Each command's complete answer. */
  command: number;
  /** Each discovery query (DNS or HTTPS). */
  discovery: number;
}

/** How long the app's session waits for a greeting (imapflow's greetingTimeout in core/mail/session.ts). */
export const APP_GREETING_TIMEOUT_MS = 15000;

/** The greeting wait is the app's own, so that the doctor does not fail a server the app would accept. */
export const DEFAULT_TIMEOUTS: DoctorTimeouts = { connect: 10000, greeting: APP_GREETING_TIMEOUT_MS, tls: 10000, command: 15000, discovery: 5000 };
