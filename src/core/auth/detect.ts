// Which sign-in an address needs, for the account form's prefill: the provider's own domains at
// once, else the domain's MX records and its autoconfig file (the doctor's fetcher and parser,
// HTTPS only), each with a short timeout. A guess only: the user can always choose.
import { resolveMx } from 'node:dns/promises';
import { type Security } from '../account';
import { type AutoconfigFetcher, httpsFetcher, parseAutoconfig } from '../doctor/autoconfig';
import { guessSignIn, PRESETS, type SignInGuess } from './providers';

export interface DetectDeps {
  mx?: (domain: string) => Promise<string[]>;
  fetcher?: AutoconfigFetcher;
  timeoutMs?: number;
}

export interface DetectedSignIn extends SignInGuess {
  imap?: { host: string; port: number; security: Security };
  smtp?: { host: string; port: number; security: Security };
}

const systemMx = async (domain: string) => (await resolveMx(domain)).sort((a, b) => a.priority - b.priority).map((r) => r.exchange);

function settled<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise<T>((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}

/** Guesses the sign-in method and servers of an address (never throws; unknown → password). */
export async function detectSignIn(email: string, deps: DetectDeps = {}): Promise<DetectedSignIn> {
  const domain = email.slice(email.lastIndexOf('@') + 1).trim().toLowerCase();
  const timeoutMs = deps.timeoutMs ?? 3000;
  const withServers = (guess: SignInGuess): DetectedSignIn => {
    const preset = guess.provider ? PRESETS[guess.provider] : undefined;
    return { ...guess, ...(preset?.imap ? { imap: preset.imap } : {}), ...(preset?.smtp ? { smtp: preset.smtp } : {}) };
  };
  const quick = guessSignIn(email);
  if (quick.method === 'oauth2' || !/^[a-z0-9.-]+\.[a-z]{2,}$/.test(domain)) {
    return withServers(quick);
  }
  const fetcher = deps.fetcher ?? httpsFetcher();
  const autoconfig = async () => {
    for (const url of [`https://autoconfig.${domain}/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(email)}`, `https://${domain}/.well-known/autoconfig/mail/config-v1.1.xml`]) {
      const answer = await settled(fetcher(url, timeoutMs), timeoutMs + 200, undefined);
      if (answer?.status === 200) {
        return parseAutoconfig(answer.body, email, domain);
      }
    }
    return undefined;
  };
  const [mx, servers] = await Promise.all([settled((deps.mx ?? systemMx)(domain), timeoutMs, [] as string[]), autoconfig()]);
  const guess = withServers(guessSignIn(email, mx, servers?.imapAuthentication ?? []));
  if (!guess.imap && servers?.imap) {
    guess.imap = { host: servers.imap.host, port: servers.imap.port, security: servers.imap.security };
    if (servers.smtp) {
      guess.smtp = { host: servers.smtp.host, port: servers.smtp.port, security: servers.smtp.security };
    }
  }
  return guess;
}
