import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { SecretBox } from '../store/secretBox.js';
import type { Knex } from 'knex';
import { IN_LIST_CHUNK, bool, inTransaction, type Db, type Trx } from '../store/db.js';
import { emit, type NewEvent } from '../store/events.js';
import { writeAudit } from '../store/audit.js';
import type { AppKey } from './syncedApps.js';
import type { SessionEndRow, SessionRow, TenantRow } from '../store/rows.js';
import type { SessionView } from './viewSchemas.js';

/**
 * Server-side sessions (any replica serves any request). The browser holds a random id; the table
 * holds its SHA-256 only, and the tokens AES-GCM sealed to the row.
 */

/** Spec §6.4: refresh tokens live 30 days; access tokens 2 h unless the token answer says otherwise. */
export const REFRESH_TOKEN_LIFETIME_MS = 30 * 86_400_000;
const DEFAULT_ACCESS_TOKEN_SECONDS = 7200;
/** last_seen_at is written at most this often, so a session check is one read. */
const TOUCH_AFTER_MS = 60_000;

export const sha256 = (secret: string) => createHash('sha256').update(secret).digest('hex');
export const randomSecret = () => randomBytes(32).toString('base64url');

export interface IssuedTokens {
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
}

export interface SessionRecord extends AppKey {
  idHash: string;
  userName: string;
  name: string | null;
  role: string | null;
  orgCode: string | null;
  accessExpiresAt: number;
  refreshExpiresAt: number | null;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  version: number;
  renewLeaseUntil: number | null;
  /** Its access token has lapsed and the renewal has not finished (the IdP is slow or down): retry soon. */
  renewalPending?: boolean;
}

export interface NewSession {
  app: AppKey;
  userName: string;
  name?: string | null;
  role: string;
  orgCode?: string | null;
  tokens: IssuedTokens;
  /** When the IdP issued the tokens, if before the session is stored (a confirmed account switch). */
  tokensIssuedAt?: number;
}

/** The additional data a session's token is sealed to: its own row and column. */
export const sessionSealContext = (idHash: string, which: 'access' | 'refresh') => `ssoSession:${idHash}:${which}`;

/** The token columns of a session row, sealed to that row. */
function tokenColumns(box: SecretBox, idHash: string, tokens: IssuedTokens, now: number) {
  return {
    access_token: box.seal(tokens.access_token, sessionSealContext(idHash, 'access')),
    access_expires_at: now + (tokens.expires_in ?? DEFAULT_ACCESS_TOKEN_SECONDS) * 1000,
    ...(tokens.refresh_token ? { refresh_token: box.seal(tokens.refresh_token, sessionSealContext(idHash, 'refresh')) } : {}),
  };
}

export function openRefreshToken(box: SecretBox, idHash: string, sealed: string): string {
  return box.open(sealed, sessionSealContext(idHash, 'refresh'));
}

/** Stores a new session; returns the id for the cookie (the only place it exists in clear). */
export async function insertSession(trx: Trx, box: SecretBox, config: Config, s: NewSession, now: number): Promise<{ id: string; record: SessionRecord }> {
  const id = randomSecret();
  const idHash = sha256(id);
  const issuedAt = s.tokensIssuedAt ?? now;
  const tokens = tokenColumns(box, idHash, s.tokens, issuedAt);
  const refreshExpiresAt = s.tokens.refresh_token ? issuedAt + REFRESH_TOKEN_LIFETIME_MS : null;
  // Never beyond what the refresh token can keep alive (or the access token, when there is none).
  const expiresAt = Math.min(now + config.ssoSessionAbsoluteHours * 3_600_000, refreshExpiresAt ?? tokens.access_expires_at);
  const row = {
    id_hash: idHash,
    instance_id: s.app.instanceId,
    tenant_id: s.app.tenantId,
    app_id: s.app.appId,
    user_name: s.userName,
    name: s.name?.slice(0, 64) ?? null,
    role: s.role,
    org_code: s.orgCode?.slice(0, 64) ?? null,
    refresh_token: null,
    ...tokens,
    refresh_expires_at: refreshExpiresAt,
    created_at: now,
    last_seen_at: now,
    expires_at: expiresAt,
  };
  await trx('sso_sessions').insert(row);
  return { id, record: toRecord({ ...row, version: 0, renew_lease_until: null }) };
}

/**
 * The session, with the user's current role from the directory (a downgrade applies at once;
 * name and department are as at login, which keeps this a one-join read).
 */
export async function readSession(db: Db | Trx, idHash: string): Promise<SessionRecord | undefined> {
  return (await readSessions(db, [idHash]))[0];
}

export async function readSessions(db: Db | Trx, idHashes: string[]): Promise<SessionRecord[]> {
  const rows: StoredSession[] = await db('sso_sessions as s')
    .leftJoin('user_apps as ua', function () {
      this.on('ua.instance_id', 's.instance_id').andOn('ua.tenant_id', 's.tenant_id').andOn('ua.app_id', 's.app_id').andOn('ua.user_name', 's.user_name');
    })
    .whereIn('s.id_hash', idHashes)
    .select(
      's.id_hash',
      's.instance_id',
      's.tenant_id',
      's.app_id',
      's.user_name',
      's.name',
      db.raw('coalesce(ua.role, s.role) as role'),
      's.org_code',
      's.access_expires_at',
      's.refresh_expires_at',
      's.created_at',
      's.last_seen_at',
      's.expires_at',
      's.version',
      's.renew_lease_until',
    );
  return rows.map(toRecord);
}

/** A session as readSessions selects it: the role the directory gives the user now, no tokens. */
type StoredSession = Omit<SessionRow, 'access_token' | 'refresh_token' | 'renew_owner' | 'renew_failures'>;

function toRecord(r: StoredSession): SessionRecord {
  const num = (v: unknown) => (v == null ? null : Number(v));
  return {
    idHash: r.id_hash,
    instanceId: r.instance_id,
    tenantId: r.tenant_id,
    appId: r.app_id,
    userName: r.user_name,
    name: r.name ?? null,
    role: r.role ?? null,
    orgCode: r.org_code ?? null,
    accessExpiresAt: Number(r.access_expires_at),
    refreshExpiresAt: num(r.refresh_expires_at),
    createdAt: Number(r.created_at),
    lastSeenAt: Number(r.last_seen_at),
    expiresAt: Number(r.expires_at),
    version: Number(r.version),
    renewLeaseUntil: num(r.renew_lease_until),
  };
}

/** When the session ends unless used again: the idle timeout, capped by the absolute one. */
export function sessionEnd(rec: SessionRecord, config: Config): number {
  return Math.min(rec.expiresAt, rec.lastSeenAt + config.ssoSessionIdleMinutes * 60_000);
}

export async function touchSession(db: Db, rec: SessionRecord, now: number): Promise<void> {
  if (now - rec.lastSeenAt < TOUCH_AFTER_MS) return;
  await db('sso_sessions').where('id_hash', rec.idHash).update({ last_seen_at: now });
  rec.lastSeenAt = now;
}

/**
 * Why a session ended, as the browser and the merchant's application are told (GET /sso/session,
 * introspection, the account page). Coarser than the metric's reasons: what a person can act on.
 */
export type SessionEndCause =
  /** The user signed out. */
  | 'logged_out'
  /** Idle or absolute timeout, or the refresh token's 30 days are over. */
  | 'expired'
  /** The identity provider refused to renew it (signed out or revoked there). */
  | 'idp_refused'
  /** The enterprise administrator cancelled or disabled the user's authorization, or deleted the user. */
  | 'deauthorized'
  /** The enterprise or the application was removed from the directory. */
  | 'removed'
  | 'frozen'
  | 'released'
  /** This browser signed in again, as someone else. */
  | 'replaced'
  /** The merchant (the application's provider) ended it from the admin console. */
  | 'admin';

export interface SessionEnding {
  cause: SessionEndCause;
  endedAt: number;
  instanceId: string;
  tenantId: string;
  appId: string;
}

type Scope = (q: Knex.QueryBuilder) => Knex.QueryBuilder;

/** Whose sessions a marketplace call takes the access from: an instance, a tenant, an app, or some of an app's users. */
export interface SessionsOf {
  instanceId: string;
  tenantId?: string;
  appId?: string;
  userNames?: string[];
}
const ENDS_PER_STATEMENT = 500;

/**
 * Why a session.revoked event says a session ended. Sessions that run out by time alone (idle,
 * absolute end, refresh token past its days) are not revoked: no event, their end is foreseeable.
 */
export type RevokeReason = 'deauthorized' | 'deleted' | 'frozen' | 'released' | 'logout' | 'expired_refresh' | 'admin';

const REVOKE_REASON: Record<SessionEndCause, RevokeReason | null> = {
  logged_out: 'logout',
  // Signing in again in the same browser, as someone else, ends the earlier session as a sign-out would.
  replaced: 'logout',
  expired: null,
  idp_refused: 'expired_refresh',
  deauthorized: 'deauthorized',
  removed: 'deleted',
  frozen: 'frozen',
  released: 'released',
  admin: 'admin',
};

/** Why sessions end, as the browser is told (cause) and as the event says it (reason, when it is finer). */
export interface Ending {
  cause: SessionEndCause;
  /** A deleted user's sessions end as 'deauthorized' for the browser but 'deleted' in the event. */
  reason?: RevokeReason;
  /** The testFlag of the marketplace call that ends them; else that of the session's tenant. */
  testFlag?: boolean;
}

/**
 * The session's public name in events and in GET /sso/session: the first 128 bits of the SHA-256
 * of the cookie value (the stored key), which gives nobody the cookie value back.
 */
export const publicSessionId = (idHash: string) => `ses_${idHash.slice(0, 32)}`;

type EndingRow = Pick<SessionRow, 'id_hash' | 'instance_id' | 'tenant_id' | 'app_id' | 'user_name' | 'expires_at'>;

/**
 * Ends the sessions `scope` selects, remembering why, in the caller's transaction when given one,
 * with a session.revoked event for each unless they ran out by time. The rows are read with a
 * locking read, so on MySQL a session committed just before (a login that held shared locks on
 * what this change revokes) is ended too, and a concurrent end of the same session waits: each
 * session is revoked once. Returns how many ended.
 */
async function endSessions(db: Db | Trx, scope: Scope, ending: Ending, now: number): Promise<number> {
  if (!db.isTransaction) return inTransaction(db as Db, (trx) => endSessions(trx, scope, ending, now));
  const trx = db as Trx;
  const rows: EndingRow[] = await scope(trx('sso_sessions')).forUpdate().select('id_hash', 'instance_id', 'tenant_id', 'app_id', 'user_name', 'expires_at');
  if (rows.length === 0) return 0;
  for (let i = 0; i < rows.length; i += ENDS_PER_STATEMENT) {
    const ends = rows.slice(i, i + ENDS_PER_STATEMENT).map((r) => ({
      id_hash: r.id_hash,
      cause: ending.cause,
      instance_id: r.instance_id,
      tenant_id: r.tenant_id,
      app_id: r.app_id,
      ended_at: now,
      // Until then the browser may still send the cookie; afterwards nobody can ask.
      forget_at: Math.max(Number(r.expires_at), now),
    }));
    await trx('sso_session_ends').insert(ends).onConflict('id_hash').ignore();
  }
  const reason = ending.reason ?? REVOKE_REASON[ending.cause];
  if (reason) emit(trx, await revokedEvents(trx, rows, reason, ending.testFlag, now));
  return scope(trx('sso_sessions')).delete();
}

async function revokedEvents(trx: Trx, rows: EndingRow[], reason: RevokeReason, testFlag: boolean | undefined, now: number): Promise<NewEvent[]> {
  const flagOf = testFlag === undefined ? await tenantTestFlags(trx, rows) : () => testFlag;
  const endedAt = new Date(now).toISOString();
  return rows.map((r) => ({
    type: 'session.revoked',
    instanceId: r.instance_id,
    tenantId: r.tenant_id,
    testFlag: flagOf(r),
    sourceTime: null,
    data: { sessionId: publicSessionId(r.id_hash), instanceId: r.instance_id, tenantId: r.tenant_id, appId: r.app_id, userName: r.user_name, reason, endedAt },
  }));
}

/**
 * The test flag of each session's tenant, for ends no marketplace call caused (a sign-out, a
 * renewal, a new sign-in). Those end one session at a time, so a read per tenant is one read.
 */
async function tenantTestFlags(trx: Trx, rows: EndingRow[]): Promise<(r: EndingRow) => boolean> {
  const key = (r: EndingRow) => JSON.stringify([r.instance_id, r.tenant_id]);
  const flags = new Map<string, boolean>();
  for (const r of rows) {
    if (flags.has(key(r))) continue;
    const t: Pick<TenantRow, 'test_flag'> | undefined = await trx('tenants').where({ instance_id: r.instance_id, tenant_id: r.tenant_id }).first('test_flag');
    flags.set(key(r), t !== undefined && bool(t.test_flag));
  }
  return (r) => flags.get(key(r))!;
}

export async function endSession(db: Db | Trx, idHash: string, cause: SessionEndCause, now = Date.now()): Promise<boolean> {
  return (await endSessions(db, (q) => q.where('id_hash', idHash), { cause }, now)) > 0;
}

/** Ends the sessions of `who`, in the caller's transaction (a revoking call). */
export async function endSessionsOf(trx: Trx, who: SessionsOf, ending: Ending, now: number): Promise<void> {
  const key = { instance_id: who.instanceId, ...(who.tenantId !== undefined && { tenant_id: who.tenantId }), ...(who.appId !== undefined && { app_id: who.appId }) };
  if (!who.userNames) {
    await endSessions(trx, (q) => q.where(key), ending, now);
    return;
  }
  for (let i = 0; i < who.userNames.length; i += IN_LIST_CHUNK) {
    const names = who.userNames.slice(i, i + IN_LIST_CHUNK);
    await endSessions(trx, (q) => q.where(key).whereIn('user_name', names), ending, now);
  }
}

/**
 * The renewal lease of a session: the one process holding it may spend the refresh token (a rotating
 * token spent twice makes the IdP revoke the whole grant). Every write under it names its owner, so
 * a process whose lease was taken over writes nothing.
 */
export interface RenewalLease {
  idHash: string;
  owner: string;
}

/** What a renewal needs of the session it leased. */
export interface LeasedSession extends AppKey {
  userName: string;
  /** Sealed; see openRefreshToken. */
  refreshToken: string | null;
  refreshExpiresAt: number | null;
  /** Renewals of it that got no answer from the IdP since the last one that did. */
  renewFailures: number;
}

const underLease = (lease: RenewalLease): Scope => (q) => q.where({ id_hash: lease.idHash, renew_owner: lease.owner });

/**
 * Takes the renewal lease if the access token lapses before `dueBefore` and nobody holds a live
 * lease; the session as leased, or undefined (someone else renews it, or it is fresh or gone).
 */
export async function takeRenewalLease(db: Db, lease: RenewalLease, dueBefore: number, leaseUntil: number, now: number): Promise<LeasedSession | undefined> {
  const leased = await db('sso_sessions')
    .where('id_hash', lease.idHash)
    .andWhere('access_expires_at', '<=', dueBefore)
    .andWhere((q) => q.whereNull('renew_lease_until').orWhere('renew_lease_until', '<', now))
    .update({ renew_owner: lease.owner, renew_lease_until: leaseUntil });
  if (leased === 0) return undefined;
  const row: Pick<SessionRow, 'instance_id' | 'tenant_id' | 'app_id' | 'user_name' | 'refresh_token' | 'refresh_expires_at' | 'renew_failures'> | undefined = await underLease(lease)(
    db('sso_sessions'),
  ).first('instance_id', 'tenant_id', 'app_id', 'user_name', 'refresh_token', 'refresh_expires_at', 'renew_failures');
  return (
    row && {
      instanceId: row.instance_id,
      tenantId: row.tenant_id,
      appId: row.app_id,
      userName: row.user_name,
      refreshToken: row.refresh_token,
      refreshExpiresAt: row.refresh_expires_at == null ? null : Number(row.refresh_expires_at),
      renewFailures: Number(row.renew_failures),
    }
  );
}

/** Ends the session only while this lease holds it; true when it ended. */
export async function endLeasedSession(db: Db, lease: RenewalLease, cause: SessionEndCause, now: number): Promise<boolean> {
  return (await endSessions(db, underLease(lease), { cause }, now)) > 0;
}

/** The IdP could not be asked: the lease is given back and the failure counted, for a later renewal to retry. */
export async function releaseRenewalLease(db: Db, lease: RenewalLease): Promise<void> {
  await underLease(lease)(db('sso_sessions')).update({ renew_owner: null, renew_lease_until: null, renew_failures: db.raw('renew_failures + 1') });
}

/** Stores renewed tokens and ends the lease, only while this lease holds the session; false when it does not. */
export async function storeRenewedTokens(db: Db, box: SecretBox, lease: RenewalLease, tokens: IssuedTokens, issuedAt: number): Promise<boolean> {
  const stored = await underLease(lease)(db('sso_sessions')).update({
    ...tokenColumns(box, lease.idHash, tokens, issuedAt),
    version: db.raw('version + 1'),
    renew_owner: null,
    renew_lease_until: null,
    renew_failures: 0,
  });
  return stored > 0;
}

/**
 * Sessions used since `activeSince` whose access tokens lapse before `dueBefore` and whom nobody
 * renews, soonest first.
 */
export async function sessionsDueForRenewal(db: Db, due: { dueBefore: number; activeSince: number; now: number; limit: number }): Promise<(Pick<AppKey, 'instanceId' | 'tenantId'> & { idHash: string })[]> {
  const rows: Pick<SessionRow, 'id_hash' | 'instance_id' | 'tenant_id'>[] = await db('sso_sessions')
    .where('access_expires_at', '<=', due.dueBefore)
    .andWhere('last_seen_at', '>=', due.activeSince)
    .andWhere('expires_at', '>', due.now)
    .andWhere((q) => q.whereNull('renew_lease_until').orWhere('renew_lease_until', '<', due.now))
    .orderBy('access_expires_at')
    .limit(due.limit)
    .select('id_hash', 'instance_id', 'tenant_id');
  return rows.map((r) => ({ idHash: r.id_hash, instanceId: r.instance_id, tenantId: r.tenant_id }));
}

/** Why the session with this id ended, while its cookie may still be around. */
export async function sessionEnding(db: Db | Trx, idHash: string): Promise<SessionEnding | undefined> {
  // Only endSessions writes these rows, each with a SessionEndCause.
  const row: (Pick<SessionEndRow, 'ended_at' | 'instance_id' | 'tenant_id' | 'app_id'> & { cause: SessionEndCause }) | undefined = await db('sso_session_ends').where('id_hash', idHash).first('cause', 'ended_at', 'instance_id', 'tenant_id', 'app_id');
  return row && { cause: row.cause, endedAt: Number(row.ended_at), instanceId: row.instance_id, tenantId: row.tenant_id, appId: row.app_id };
}

/** Sessions past their absolute or idle end (their rows would otherwise stay until looked up), and old end records. */
export async function purgeEndedSessions(db: Db, config: Config, now: number): Promise<number> {
  const ended = await endSessions(db, (q) => q.where('expires_at', '<=', now).orWhere('last_seen_at', '<=', now - config.ssoSessionIdleMinutes * 60_000), { cause: 'expired' }, now);
  await db('sso_session_ends').where('forget_at', '<=', now).delete();
  return ended;
}

/** What the merchant's application learns about a session (GET /sso/session, introspection). */
export function sessionView(rec: SessionRecord, config: Config): SessionView {
  return {
    // What session.revoked events name it by, so the application can end its own session with it.
    sessionId: publicSessionId(rec.idHash),
    user: {
      userName: rec.userName,
      name: rec.name,
      role: rec.role,
      orgCode: rec.orgCode,
      tenantId: rec.tenantId,
      instanceId: rec.instanceId,
      appId: rec.appId,
    },
    expiresAt: new Date(sessionEnd(rec, config)).toISOString(),
    ...(rec.renewalPending ? { renewalPending: true } : {}),
  };
}

/** A signed-in session as the admin console lists it (never its tokens). */
export interface ActiveSession {
  idHash: string;
  instanceId: string;
  tenantId: string;
  appId: string;
  userName: string;
  name: string | null;
  createdAt: number;
  lastSeenAt: number;
}

/** Whose sessions the admin console shows or ends: a tenant's, or one user's of it. */
export interface SessionOwner {
  instanceId: string;
  tenantId: string;
  userName?: string;
}

const ownedBy = (who: SessionOwner) => (q: Knex.QueryBuilder) =>
  q.where({ instance_id: who.instanceId, tenant_id: who.tenantId, ...(who.userName !== undefined && { user_name: who.userName }) });

/** The signed-in sessions of a tenant or user, newest first (at most `limit`). */
export async function activeSessions(db: Db, who: SessionOwner, now: number, limit = 200): Promise<ActiveSession[]> {
  const rows: Pick<SessionRow, 'id_hash' | 'instance_id' | 'tenant_id' | 'app_id' | 'user_name' | 'name' | 'created_at' | 'last_seen_at'>[] = await ownedBy(who)(db('sso_sessions'))
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .select('id_hash', 'instance_id', 'tenant_id', 'app_id', 'user_name', 'name', 'created_at', 'last_seen_at');
  return rows.map((r) => ({ idHash: r.id_hash, instanceId: r.instance_id, tenantId: r.tenant_id, appId: r.app_id, userName: r.user_name, name: r.name, createdAt: Number(r.created_at), lastSeenAt: Number(r.last_seen_at) }));
}

/** How many sessions are signed in now, across every tenant. */
export async function activeSessionCount(db: Db, now: number): Promise<number> {
  const row = (await db('sso_sessions').where('expires_at', '>', now).count({ n: '*' }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

/**
 * The merchant ends sessions from the admin console: one (by its key) or all of a user's. The
 * browser, the event and the audit record all say the admin did it.
 */
export async function revokeByAdmin(db: Db, who: SessionOwner & { idHash?: string }, now = Date.now()): Promise<number> {
  return inTransaction(db, async (trx) => {
    const scope = (q: Knex.QueryBuilder) => (who.idHash === undefined ? ownedBy(who)(q) : ownedBy(who)(q).where('id_hash', who.idHash));
    const ended = await endSessions(trx, scope, { cause: 'admin' }, now);
    await writeAudit(trx, {
      channel: 'admin', callName: who.idHash === undefined ? 'revokeUserSessions' : 'revokeSession', instanceId: who.instanceId, tenantId: who.tenantId,
      resultCode: '200', resultMsg: `${ended} session(s) ended`, outcome: 'applied', detail: { userName: who.userName ?? null, ended }, startedAt: now,
    });
    return ended;
  });
}
