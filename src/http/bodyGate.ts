import type { Context } from 'koa';
import { MarketplaceError, ResultCode } from '../marketplace/resultCodes.js';

/** How long a large body may wait for its turn before it is answered "busy, retry". */
const WAIT_MS = 30_000;

/**
 * Bounds how many large bodies are read and handled at once: each costs a few times its size in
 * memory while it is parsed, so a handful sent in parallel (signed or not) could exhaust the
 * process. Small bodies (every incremental call) never wait. A body without Content-Length
 * (chunked) counts as large, since its size is unknown until read.
 */
export class BodyGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly largeBytes: number,
    private readonly concurrency: number,
  ) {}

  /** Waits for a turn when the body is large; the answer releases the turn (exactly once). */
  async enter(ctx: Context): Promise<() => void> {
    const length = ctx.get('content-length');
    if (length !== '' && Number(length) <= this.largeBytes) return () => {};
    if (this.active < this.concurrency) this.active++;
    else await this.queue();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The turn passes straight to the next in line, so `active` stays as it is.
      if (next) next();
      else this.active--;
    };
  }

  private queue(): Promise<void> {
    return new Promise((resolve, reject) => {
      const turn = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(turn), 1);
        reject(new MarketplaceError(ResultCode.internalError, 'busy: too many large bodies at once; nothing was changed, please retry'));
      }, WAIT_MS);
      this.waiting.push(turn);
    });
  }
}
