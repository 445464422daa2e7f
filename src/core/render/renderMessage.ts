// One message body, rendered with its remote content when the user allowed it: render, fetch what
// the rendering reports as remote (by the host: remoteFetch.ts), render again with it, until
// nothing new turns up (an imported style sheet names further resources) or MAX_FETCH_ROUNDS.
import { type BodyInput, type BodyRendering } from './body';
import { type LoadedResource } from './css';
import { fetchRemoteResources, type RemoteFetchOptions } from './remoteFetch';
import { bodyInputOf, type LoadedMessage } from './viewModel';

const MAX_FETCH_ROUNDS = 4;

export interface RenderMessageOptions {
  /** Remote content may be fetched (the user allowed it for this message or its sender). */
  allowRemote: boolean;
  /** What was fetched for this message before (filled in as resources arrive; kept by the caller). */
  resources: Map<string, LoadedResource>;
  /** Renders a body: the render worker (BodyRenderer.render) or, in tests, renderBody. */
  render(input: BodyInput): Promise<BodyRendering>;
  fetch?: RemoteFetchOptions;
  /** A fetch that failed (the item stays blocked and is counted as not loaded). */
  onFetchFailed?(url: string, reason: string): void;
  /** True when the caller no longer needs the result (another message is shown): stop early. */
  stale?(): boolean;
  /** Code links of an HTML body (BodyInput.codeLinks), passed to every render. */
  codeLinks?: BodyInput['codeLinks'];
  /** Fold quoted text (BodyInput.foldQuotes): the conversation view. */
  foldQuotes?: boolean;
}

/** Renders `message`'s body, fetching and inlining its remote content when allowed; never rejects. */
export async function renderMessageBody(message: LoadedMessage, options: RenderMessageOptions): Promise<BodyRendering> {
  const { resources } = options;
  const input = (remote: Map<string, LoadedResource>): BodyInput => ({ ...bodyInputOf(message, remote), ...(options.codeLinks ? { codeLinks: options.codeLinks } : {}), ...(options.foldQuotes ? { foldQuotes: true } : {}) });
  let rendering = await options.render(input(options.allowRemote ? resources : new Map()));
  const attempted = new Set<string>();
  for (let round = 0; options.allowRemote && round < MAX_FETCH_ROUNDS && !options.stale?.(); round++) {
    const missing = rendering.remote.filter((r) => !r.loaded && !resources.has(r.url) && !attempted.has(r.url));
    if (!missing.length) {
      break;
    }
    missing.forEach((r) => attempted.add(r.url));
    for (const [url, outcome] of await fetchRemoteResources(missing, options.fetch)) {
      if (outcome.ok) {
        resources.set(url, outcome.resource);
      } else {
        options.onFetchFailed?.(url, outcome.reason);
      }
    }
    rendering = await options.render(input(resources));
  }
  return rendering;
}
