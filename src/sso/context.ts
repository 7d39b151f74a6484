import DataLoader from 'dataloader';
import type { Runtime } from '../runtime.js';
import { IdpClients } from './clients.js';
import { IdpCircuits } from './idpCircuits.js';
import { readSessions, type IssuedTokens, type SessionRecord } from './sessions.js';
import { SessionEnds } from './sessionEnds.js';

export type RenewOutcome = 'renewed' | 'ended' | 'kept' | 'busy';

/** Tokens the IdP issued to renew a session, and the renewal lease (`owner`) they were issued under. */
export interface RenewedTokens {
  owner: string;
  tokens: IssuedTokens;
  issuedAt: number;
  /** Who the session is, for logs. */
  about: { tenantId: string; appId: string; userName: string };
}

/** What SSO keeps per runtime (per process in production): the IdP clients, the renewals in flight, the session reads. */
export interface SsoState {
  clients: IdpClients;
  /** Tenant IdPs that failed to answer lately, whose renewals pause. */
  circuits: IdpCircuits;
  renewals: Map<string, Promise<RenewOutcome>>;
  /** By session id hash: renewed tokens whose write failed, until a later renewal stores them. */
  unstoredTokens: Map<string, RenewedTokens>;
  /**
   * Session checks arriving in the same event-loop turn share one query (by id hash, no caching:
   * each check still reads the database after it arrived, so a revocation is seen at once).
   */
  sessions: DataLoader<string, SessionRecord | undefined>;
  /** Sessions SSO ended and why, for the metrics. */
  sessionEnds: SessionEnds;
}

const byRuntime = new WeakMap<Runtime, SsoState>();

export function ssoState(rt: Runtime): SsoState {
  let state = byRuntime.get(rt);
  if (!state) {
    state = { clients: new IdpClients(rt), circuits: new IdpCircuits(rt.config.ssoIdpBackoffSeconds * 1000), renewals: new Map(), unstoredTokens: new Map(), sessions: sessionLoader(rt), sessionEnds: new SessionEnds() };
    byRuntime.set(rt, state);
  }
  return state;
}

function sessionLoader(rt: Runtime): DataLoader<string, SessionRecord | undefined> {
  return new DataLoader(
    async (idHashes) => {
      const found = new Map((await readSessions(rt.reads, [...idHashes])).map((r) => [r.idHash, r]));
      return idHashes.map((h) => found.get(h));
    },
    // After the I/O phase, so requests read off the sockets in one turn are batched together.
    { cache: false, maxBatchSize: 500, batchScheduleFn: (dispatch) => setImmediate(dispatch) },
  );
}
