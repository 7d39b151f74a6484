import { guarded, type MarketplaceAction } from './action.js';
import { invalidParam } from './resultCodes.js';
import { marketplaceInstant } from './validation.js';

/** The marketplace times a kit body carries; every row the call writes is ordered by them. */
interface TimedBody {
  timeStamp: string;
  currentSyncTime?: string;
}

/**
 * Refuses (000002) a kit call whose timeStamp or currentSyncTime lies more than `maxSkewSeconds`
 * after the request's own x-timestamp. Stored, such a time would outrank every later call for the
 * rows it wrote, so their changes and deletes would be ignored as stale for good.
 */
export function notAheadOfRequest(actions: Record<string, MarketplaceAction>, maxSkewSeconds: number): Record<string, MarketplaceAction> {
  return guarded<TimedBody>(actions, (_trx, body, request) => {
    const latest = request.sentAt + maxSkewSeconds * 1000;
    for (const [field, ts] of [['timeStamp', body.timeStamp], ['currentSyncTime', body.currentSyncTime]] as const) {
      if (ts !== undefined && marketplaceInstant(ts) > latest) {
        throw invalidParam(`${field}: ${ts} lies more than ${maxSkewSeconds} s after the request's x-timestamp`);
      }
    }
    return undefined;
  });
}
