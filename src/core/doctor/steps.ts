// Records the steps of a diagnosis as they finish, each timed, and fills in the ones never reached
// as skipped with the reason, so a report always lists every step of the check it ran.
import { type MailErrorCode, toMailError } from '../errors';
import { interruptedAdvice } from './advice';
import { type AutoconfigFetcher } from './autoconfig';
import { type TrustOptions } from './certificate';
import { type DoctorResolver } from './dns';
import { printable, type Transcript } from './transcript';
import { type DoctorStep, type DoctorTimeouts, type Protocol, type StepId, type StepStatus } from './types';

export const STEP_TITLES: Record<StepId, string> = {
  input: 'Input',
  discovery: 'Discovery',
  'auth.token': 'OAuth 2.0 token',
  'imap.dns': 'IMAP: DNS',
  'imap.tcp': 'IMAP: TCP connection',
  'imap.greeting': 'IMAP: greeting',
  'imap.mode': 'IMAP: security mode',
  'imap.tls': 'IMAP: TLS and certificate',
  'imap.capability': 'IMAP: capabilities before login',
  'imap.sasl': 'IMAP: SASL mechanisms',
  'imap.login': 'IMAP: login',
  'imap.extensions': 'IMAP: capabilities after login',
  'imap.mailboxes': 'IMAP: mailboxes',
  'imap.roundtrip': 'IMAP: round trips',
  'smtp.dns': 'SMTP: DNS',
  'smtp.tcp': 'SMTP: TCP connection',
  'smtp.greeting': 'SMTP: greeting',
  'smtp.mode': 'SMTP: security mode',
  'smtp.tls': 'SMTP: TLS and certificate',
  'smtp.ehlo': 'SMTP: EHLO extensions',
  'smtp.login': 'SMTP: login',
};

export const IMAP_STEPS: StepId[] = ['imap.dns', 'imap.tcp', 'imap.greeting', 'imap.mode', 'imap.tls', 'imap.capability', 'imap.login', 'imap.extensions', 'imap.mailboxes', 'imap.roundtrip'];
export const SMTP_STEPS: StepId[] = ['smtp.dns', 'smtp.tcp', 'smtp.greeting', 'smtp.mode', 'smtp.tls', 'smtp.ehlo', 'smtp.login'];

export interface StepOutcome {
  status: StepStatus;
  summary: string;
  details?: string[];
  fix?: string;
  code?: MailErrorCode;
}

export class StepRecorder {
  readonly steps: DoctorStep[] = [];

  constructor(private readonly onStep?: (step: DoctorStep) => void) {}

  has(id: StepId): boolean {
    return this.steps.some((s) => s.id === id);
  }

  /** Records a finished step; `started` is the Date.now() taken when it began. */
  record(id: StepId, started: number, outcome: StepOutcome): DoctorStep {
    const step: DoctorStep = {
      id,
      title: STEP_TITLES[id],
      status: outcome.status,
      ms: outcome.status === 'skip' ? 0 : Math.max(0, Date.now() - started),
      // summaries quote server text: keep terminal escapes and bidi controls out of them
      summary: printable(outcome.summary),
      details: (outcome.details ?? []).map(printable),
      ...(outcome.fix ? { fix: printable(outcome.fix) } : {}),
      ...(outcome.code ? { code: outcome.code } : {}),
    };
    this.steps.push(step);
    this.onStep?.(step);
    return step;
  }

  /**
   * Replaces the outcome of a step already recorded, when a later answer shows what it really was
   * (a server that greeted and then hung up did not pass its greeting). Its time stays.
   */
  amend(id: StepId, outcome: StepOutcome): void {
    const index = this.steps.findIndex((s) => s.id === id);
    if (index < 0) {
      this.record(id, Date.now(), outcome);
      return;
    }
    const old = this.steps[index];
    const step: DoctorStep = {
      id,
      title: old.title,
      status: outcome.status,
      ms: old.ms,
      summary: printable(outcome.summary),
      details: [...old.details, ...(outcome.details ?? []).map(printable)],
      ...(outcome.fix ? { fix: printable(outcome.fix) } : {}),
      ...(outcome.code ? { code: outcome.code } : {}),
    };
    this.steps[index] = step;
    this.onStep?.(step);
  }

  skip(id: StepId, summary: string): void {
    if (!this.has(id)) {
      this.record(id, Date.now(), { status: 'skip', summary });
    }
  }

  /** A step that broke off on an unexpected error (a lost connection, a timeout mid-command). */
  failed(id: StepId, started: number, err: unknown, fix?: string): DoctorStep {
    const error = toMailError(err);
    const advice = interruptedAdvice(error.code, error.message);
    return this.record(id, started, { status: 'fail', code: error.code, summary: advice.summary, fix: fix ?? advice.fix });
  }

  /** Marks every planned step that did not run as skipped, naming the failure that stopped the check. */
  skipRest(planned: StepId[]): void {
    const stopper = [...this.steps].reverse().find((s) => s.status === 'fail' && planned.includes(s.id));
    const why = stopper ? `Not checked: "${stopper.title}" failed.` : 'Not checked.';
    for (const id of planned) {
      this.skip(id, why);
    }
  }
}

/** What every check needs: where to record, how long to wait, whom to trust, how to resolve. */
export interface CheckContext {
  rec: StepRecorder;
  transcript: Transcript;
  timeouts: DoctorTimeouts;
  resolver: DoctorResolver;
  fetcher: AutoconfigFetcher;
  trust: TrustOptions;
  /** The usual TLS and STARTTLS ports of each protocol (993/143, 465/587), tried as evidence when a port does not connect. */
  standardPorts: Record<Protocol, { tls: number; starttls: number }>;
}

export function stepId<T extends string>(protocol: Protocol, name: T): `${Protocol}.${T}` & StepId {
  return `${protocol}.${name}` as `${Protocol}.${T}` & StepId;
}
