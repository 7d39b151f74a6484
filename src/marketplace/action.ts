import type { z } from 'zod';
import type { Trx } from '../store/db.js';
import type { DirectoryChange } from '../store/changes.js';
import { invalidParam, type ResultCodeValue } from './resultCodes.js';

export interface CallResult {
  /**
   * stale: the directory holds newer data for everything this call would change. held: a full sync
   * kept for the merchant's decision instead of applied.
   */
  outcome: 'applied' | 'stale' | 'held';
  instanceId?: string;
  tenantId?: string;
  testFlag: boolean;
  /** Counts and flags for the audit record; never secrets. */
  detail: Record<string, unknown>;
  changes: DirectoryChange[];
  /** Extra fields of the answer besides resultCode/resultMsg (e.g. newInstance's instanceId). */
  response?: Record<string, unknown>;
  /** The answer carries a secret (queryInstance's appInfo.password): kept with the nonce only sealed. */
  secretInAnswer?: boolean;
  /** Something the operator should know: logged as a warning and counted. */
  notice?: Notice;
  /** A failure answered although what the call wrote commits (a held full sync records itself); success when absent. */
  answer?: { resultCode: ResultCodeValue; message: string };
}

/** `kind` names the notice in metrics, so it comes from the code, never from a request. */
export interface Notice {
  kind: 'department_cycle' | 'full_sync_held' | 'late_freeze';
  message: string;
  fields: Record<string, unknown>;
}

/** What the signed request itself says, beside its body. */
export interface SignedRequest {
  /** The request's timestamp (x-timestamp or timestamp), epoch ms, already checked against our clock. */
  sentAt: number;
}

/** One marketplace interface: how its body is validated and what it does in its transaction. */
export interface MarketplaceAction<S extends z.ZodType = z.ZodType, B = z.output<S>> {
  schema: S;
  /** Validation that goes on after the schema, before the transaction, yielding as it goes (long lists). */
  finishValidation?(body: z.output<S>): Promise<B>;
  execute(trx: Trx, body: B, request: SignedRequest): Promise<CallResult>;
}

export function action<S extends z.ZodType, B = z.output<S>>(
  schema: S,
  execute: (trx: Trx, body: B, request: SignedRequest) => Promise<CallResult>,
  finishValidation?: (body: z.output<S>) => Promise<B>,
): MarketplaceAction {
  return { schema, execute, finishValidation };
}

/**
 * Runs `guard` before each of these actions, in the call's transaction. The guard refuses the call
 * (throws), answers in the action's place (returns a result), or lets it through (undefined).
 */
export function guarded<B>(
  actions: Record<string, MarketplaceAction>,
  guard: (trx: Trx, body: B, request: SignedRequest) => Promise<CallResult | undefined> | undefined,
): Record<string, MarketplaceAction> {
  return Object.fromEntries(
    Object.entries(actions).map(([name, a]) => [
      name,
      {
        schema: a.schema,
        finishValidation: a.finishValidation,
        async execute(trx, body, request) {
          return (await guard(trx, body as B, request)) ?? a.execute(trx, body, request);
        },
      } satisfies MarketplaceAction,
    ]),
  );
}

/** The action of that name, or a 000002 refusal that lists the names there are ("unknown activity …"). */
export function findAction(actions: Record<string, MarketplaceAction>, name: string, what: string): MarketplaceAction {
  const found = Object.hasOwn(actions, name) ? actions[name] : undefined;
  if (!found) throw invalidParam(`${what} "${name.slice(0, 40)}"; expected one of ${Object.keys(actions).join(', ')}`);
  return found;
}
