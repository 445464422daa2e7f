// Runs body rendering in a worker_threads worker with a time budget (issue 15.2): a hostile mail
// may cost the worker its budget, never the extension host's event loop. One worker renders one
// body at a time, in order; a render that runs past its budget gets the worker terminated and
// resolves with the plain fallback (fallbackBody), and the next render starts a fresh worker.
import { Worker } from 'node:worker_threads';
import { type BodyInput, type BodyRendering, fallbackBody } from './body';

export interface BodyRendererOptions {
  /** The worker's script: dist/renderWorker.js (tests run the source through test/support/renderWorker.cjs). */
  workerFile: string;
  execArgv?: string[];
  /** Milliseconds a render may run in the worker before it is terminated (default 5000). */
  timeBudgetMs?: number;
  /** Told about timeouts and worker failures. */
  onProblem?(message: string): void;
}

interface Job {
  id: number;
  input: BodyInput;
  budgetMs: number;
  resolve(rendering: BodyRendering): void;
}

export const DEFAULT_RENDER_BUDGET_MS = 5000;
/**
 * Milliseconds a fresh worker may take to start and receive a body before the render counts as
 * failed: start-up is not rendering, and on a loaded machine it took seconds, which once ate the
 * whole 5 s render budget of an ordinary mail.
 */
export const WORKER_START_BUDGET_MS = 60_000;

/** Renders bodies in a worker thread under a time budget; see the file comment. */
export class BodyRenderer {
  private worker: Worker | undefined;
  private readonly queue: Job[] = [];
  private running: (Job & { timer: NodeJS.Timeout }) | undefined;
  private nextId = 1;
  private disposed = false;

  constructor(private readonly options: BodyRendererOptions) {}

  /**
   * Renders `input` in the worker. Resolves with the worker's rendering, or with the plain
   * fallback (rendering.fallback = 'timeout' | 'error'); never rejects. `budgetMs` counts from the
   * moment the worker starts on this body, not while it waits behind another.
   */
  render(input: BodyInput, budgetMs = this.options.timeBudgetMs ?? DEFAULT_RENDER_BUDGET_MS): Promise<BodyRendering> {
    if (this.disposed) {
      return Promise.resolve(fallbackBody(input, 'error'));
    }
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, input, budgetMs, resolve });
      this.pump();
    });
  }

  /** True while a render is running in the worker. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  private ensureWorker(): Worker {
    if (this.worker) {
      return this.worker;
    }
    const worker = new Worker(this.options.workerFile, { execArgv: this.options.execArgv ?? [], resourceLimits: { maxOldGenerationSizeMb: 512 } });
    worker.on('message', (message: { id: number; started?: boolean; rendering?: BodyRendering; error?: string }) => this.finished(worker, message));
    worker.on('error', (err) => this.failed(worker, err.message));
    worker.on('exit', (code) => this.failed(worker, `exited with code ${code}`));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private pump(): void {
    if (this.running || this.disposed) {
      return;
    }
    const job = this.queue.shift();
    if (!job) {
      return;
    }
    const worker = this.ensureWorker();
    // the render budget starts when the worker says it started on this body (finished())
    const timer = setTimeout(() => this.timedOut(worker, 'start'), WORKER_START_BUDGET_MS);
    this.running = { ...job, timer };
    worker.postMessage({ id: job.id, input: job.input });
  }

  private settle(rendering: BodyRendering): void {
    const job = this.running;
    if (!job) {
      return;
    }
    clearTimeout(job.timer);
    this.running = undefined;
    job.resolve(rendering);
    this.pump();
  }

  private finished(worker: Worker, message: { id: number; started?: boolean; rendering?: BodyRendering; error?: string }): void {
    if (worker !== this.worker || message.id !== this.running?.id) {
      return;
    }
    if (message.started) {
      clearTimeout(this.running.timer);
      this.running.timer = setTimeout(() => this.timedOut(worker, 'render'), this.running.budgetMs);
      return;
    }
    if (message.rendering) {
      this.settle(message.rendering);
    } else {
      this.options.onProblem?.(`Rendering a message failed: ${message.error ?? 'unknown error'}`);
      this.settle(fallbackBody(this.running.input, 'error'));
    }
  }

  private timedOut(worker: Worker, phase: 'start' | 'render'): void {
    if (worker !== this.worker || !this.running) {
      return;
    }
    this.options.onProblem?.(phase === 'render'
      ? `Rendering a message took more than ${this.running.budgetMs} ms; the render worker was stopped and the message is shown as plain text.`
      : `The render worker did not start within ${WORKER_START_BUDGET_MS} ms; the message is shown as plain text.`);
    this.worker = undefined;
    void worker.terminate();
    this.settle(fallbackBody(this.running.input, phase === 'render' ? 'timeout' : 'error'));
  }

  private failed(worker: Worker, reason: string): void {
    if (worker !== this.worker) {
      return; // a worker we terminated ourselves
    }
    this.worker = undefined;
    if (this.running) {
      this.options.onProblem?.(`The render worker stopped (${reason}).`);
      this.settle(fallbackBody(this.running.input, 'error'));
    }
  }

  dispose(): void {
    this.disposed = true;
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
    if (this.running) {
      this.settle(fallbackBody(this.running.input, 'error'));
    }
    for (const job of this.queue.splice(0)) {
      job.resolve(fallbackBody(job.input, 'error'));
    }
  }
}
