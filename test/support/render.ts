// The message view's rendering path as the host runs it, for tests: the real render worker
// (src/core/render/renderWorker.ts, loaded through tsx by renderWorker.cjs), remote content fetched by the host's
// fetcher when allowed, and the view model built from the result.
import { join } from 'node:path';
import { renderBody } from '../../src/core/render/body';
import { type LoadedResource } from '../../src/core/render/css';
import { BodyRenderer } from '../../src/core/render/renderHost';
import { renderMessageBody } from '../../src/core/render/renderMessage';
import { bodyInputOf, buildViewModel, type LoadedMessage, type MessageViewModel } from '../../src/core/render/viewModel';

export const WORKER_TS = join(__dirname, 'renderWorker.cjs');

/** A BodyRenderer running the TypeScript worker through tsx (as dist/renderWorker.js runs in VS Code). */
export function testRenderer(timeBudgetMs?: number): BodyRenderer {
  return new BodyRenderer({ workerFile: WORKER_TS, ...(timeBudgetMs !== undefined ? { timeBudgetMs } : {}) });
}

/** The view model with remote content blocked, rendered in this thread (pure). */
export function blockedModel(loaded: LoadedMessage, origin: 'imap' | 'file' = 'file'): MessageViewModel {
  return buildViewModel(loaded, { origin }, renderBody(bodyInputOf(loaded)));
}

/**
 * The view model after "Load for this message": rendered in the worker, remote content fetched by
 * the host (private addresses allowed: the test's server is on loopback).
 */
export async function allowedModel(loaded: LoadedMessage, renderer: BodyRenderer, resources = new Map<string, LoadedResource>()): Promise<MessageViewModel> {
  const rendering = await renderMessageBody(loaded, { allowRemote: true, resources, render: (input) => renderer.render(input), fetch: { allowPrivateNetwork: true } });
  return buildViewModel(loaded, { origin: 'file', remoteAllowed: 'message' }, rendering);
}
