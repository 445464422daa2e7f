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
  validTo: string;
  /** True when this certificate is one of the trust anchors (Node's store or a given CA). */
  inTrustStore: boolean;
}

export interface TlsReport {
  /** 'TLSv1.3', 'TLSv1.2'... as negotiated. */
  protocol: string;
  cipher: string;
  handshakeMs: number;
  /** The name checked against the certificate (the host the user gave). */
  hostname: string;
  hostMatches: boolean;
  certificate: CertificateInfo;
  chain: ChainEntry[];
  /** How the certificate is trusted: by a CA of the trust store, by the pinned fingerprint, or not at all. */
  trust: 'ca' | 'pin' | 'none';
  /** OpenSSL's own verdict on the chain with the same trust store (null when it accepted it). */
  verifyError: string | null;
  pin?: { expected: string; matches: boolean };
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

export interface ServerReport {
  /** The settings that were checked (after discovery). */
  endpoint: Endpoint;
  /** The address the TCP connection went to. */
  address: string | null;
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

export const DEFAULT_TIMEOUTS: DoctorTimeouts = { connect: 10000, greeting: 10000, tls: 10000, command: 15000, discovery: 5000 };
