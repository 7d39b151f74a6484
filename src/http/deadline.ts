import { MarketplaceError, ResultCode } from '../marketplace/resultCodes.js';
import { storeNotAnswering } from '../store/db.js';

/**
 * The time a marketplace call may take. The marketplace gives up after about 20 s and then treats
 * the call as failed whatever happened; answering `000005` (retry) before that, while the database
 * does not answer, tells it the truth. Work that goes on past the deadline must not commit: see
 * `assertBefore`, checked just before the commit.
 */
/** The call's answer: the store did not answer in time (or, SQLite, stayed locked by another process). */
export class StoreStalled extends MarketplaceError {
  constructor() {
    super(ResultCode.internalError, 'the database did not answer in time; nothing was changed, please retry');
  }

  /** Also the store's own ways of saying so (on SQLite "busy": its driver waited synchronously, so no timer could run). */
  static is(err: unknown): boolean {
    return err instanceof StoreStalled || storeNotAnswering(err);
  }
}

export class Deadline {
  readonly at: number;

  constructor(startedAt: number, seconds: number) {
    this.at = startedAt + seconds * 1000;
  }

  /** Throws once the deadline has passed: the transaction rolls back instead of committing late. */
  assertBefore(): void {
    if (Date.now() >= this.at) throw new StoreStalled();
  }

  /** `work`'s outcome, or the deadline's refusal if it comes first (the work goes on, its failure logged by `orphaned`). */
  async race<T>(work: Promise<T>, orphaned: (err: unknown) => void): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreStalled()), Math.max(0, this.at - Date.now()));
    });
    try {
      return await Promise.race([work, expired]);
    } catch (err) {
      work.catch(orphaned);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}
