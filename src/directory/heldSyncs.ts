import { createHash } from 'node:crypto';
import type { Db, Trx } from '../store/db.js';
import type { DeleteLimit } from '../config/index.js';
import type { AllOrgSyncBody, OrgInfo } from '../marketplace/kitSchemas.js';
import type { CallResult, SignedRequest } from '../marketplace/action.js';
import { ResultCode } from '../marketplace/resultCodes.js';
import { insertRows, type Row } from '../store/upsertNewer.js';
import { onePage, readInPages, type Page } from '../store/pages.js';
import { writeAudit } from '../store/audit.js';
import { inTransaction } from '../store/db.js';
import type { StoredDepartment, TenantKey } from './departments.js';
import type { HeldState, HeldSyncDepartmentRow, HeldSyncRow } from '../store/rows.js';
import type { HeldRemovals, HeldSyncPage, HeldSyncView } from './viewSchemas.js';

type SnapshotDepartment = Pick<HeldSyncDepartmentRow, 'org_code' | 'org_name' | 'parent_code'>;
import { syncResult } from './syncResult.js';

/**
 * The mass-delete guard of full department syncs. A snapshot that is empty, or cut short on its
 * way, reads like "every other department is gone": applied, it would empty the tenant's tree. A
 * full sync that would remove more than ORG_SYNC_DELETE_LIMIT allows is held instead (nothing
 * applied), with its snapshot and what it would remove, until the merchant applies or discards
 * it, or a newer full sync of the tenant supersedes it.
 */

/** True when removing `removing` of `live` departments is more than the limit allows. */
export function overDeleteLimit(limit: NonNullable<DeleteLimit>, removing: number, live: number): boolean {
  if (removing <= limit.count) return false;
  return limit.percent === null || removing * 100 > limit.percent * live;
}

export interface HoldRequest {
  body: AllOrgSyncBody;
  snapshot: Map<string, OrgInfo>;
  /** How many of the tenant's departments are live (not deleted). */
  live: number;
  /** The live departments the sync would mark deleted. */
  removed: StoredDepartment[];
  limit: NonNullable<DeleteLimit>;
  sentAt: number;
}

/**
 * Holds the full sync in the call's transaction: records it with its snapshot and what it would
 * remove, and supersedes the tenant's older held syncs. A replay (same tenant, timeStamp and list)
 * finds its record again and writes nothing. The answer is a failure, so the admin sees the sync
 * did not go through and the marketplace mails the merchant.
 */
export async function holdFullSync(trx: Trx, req: HoldRequest): Promise<CallResult> {
  const { body, snapshot } = req;
  const key: TenantKey = { instance_id: body.instanceId, tenant_id: body.tenantId };
  const digest = createHash('sha256')
    .update(JSON.stringify([body.testFlag, [...snapshot.values()]]))
    .digest('hex');
  const identity = { ...key, source_ts: body.timeStamp, digest };
  let held: HeldSyncRow | undefined = await trx('held_syncs').where(identity).forUpdate().first();
  if (!held) {
    // An older sync arriving late is superseded from the start by the newer one already held.
    const newer: Pick<HeldSyncRow, 'source_ts'> | undefined = await trx('held_syncs').where({ ...key, state: 'held' }).andWhere('source_ts', '>', body.timeStamp).forUpdate().first('source_ts');
    if (!newer) await supersedeHeldSyncs(trx, key, body.timeStamp);
    const row = {
      ...identity,
      test_flag: body.testFlag ? 1 : 0,
      sent_at: req.sentAt,
      departments: snapshot.size,
      live: req.live,
      would_remove: req.removed.length,
      state: newer ? 'superseded' : 'held',
      superseded_by: newer?.source_ts ?? null,
      held_at: Date.now(),
      decided_at: newer ? Date.now() : null,
    } as const;
    const [id] = await trx('held_syncs').insert(row);
    held = { ...row, id: Number(id) };
    if (!newer) await keepSnapshot(trx, held.id, req);
  }
  const fields = { heldSyncId: held.id, state: held.state, departments: held.departments, live: held.live, wouldRemove: held.would_remove, limit: req.limit.text };
  return {
    ...syncResult(body, fields),
    outcome: 'held',
    answer: { resultCode: ResultCode.internalError, message: heldMessage(held, req.limit.text) },
    notice: { kind: 'full_sync_held', message: 'full department sync held: it would remove more departments than ORG_SYNC_DELETE_LIMIT allows', fields },
  };
}

function heldMessage(held: HeldSyncRow, limit: string): string {
  const what = `full sync held for the merchant (held sync ${held.id}): it would remove ${held.would_remove} of ${held.live} departments, more than ORG_SYNC_DELETE_LIMIT ${limit} allows; nothing changed`;
  const since = { held: '', applied: '; the merchant applied it', discarded: '; the merchant discarded it', superseded: '; a newer full sync superseded it' }[held.state];
  return what + since;
}

async function keepSnapshot(trx: Trx, heldId: number, req: HoldRequest): Promise<void> {
  const rows: Row[] = [];
  for (const d of req.snapshot.values()) rows.push({ held_id: heldId, removed: 0, org_code: d.orgCode, org_name: d.orgName, parent_code: d.parentCode });
  for (const d of req.removed) rows.push({ held_id: heldId, removed: 1, org_code: d.org_code, org_name: d.org_name, parent_code: d.parent_code });
  await insertRows(trx, 'held_sync_departments', rows);
}

/**
 * A full sync at `ts` (applied or held) supersedes the tenant's held syncs not newer than it: the
 * marketplace's later word on the whole tree replaces theirs. Their snapshots are dropped.
 */
export async function supersedeHeldSyncs(trx: Trx, key: TenantKey, ts: string): Promise<void> {
  // Locking reads see the latest committed state (a decision that just committed), not the transaction's snapshot.
  const ids: number[] = await trx('held_syncs').where({ ...key, state: 'held' }).andWhere('source_ts', '<=', ts).forUpdate().pluck('id');
  if (ids.length === 0) return;
  await trx('held_syncs').whereIn('id', ids).update({ state: 'superseded', superseded_by: ts, decided_at: Date.now() });
  await trx('held_sync_departments').whereIn('held_id', ids).delete();
}

export interface HeldSyncFilter extends Page {
  state?: HeldState;
  tenantId?: string;
  instanceId?: string;
}

/** Held syncs, newest first. */
export async function listHeldSyncs(db: Db, filter: HeldSyncFilter): Promise<HeldSyncPage> {
  const q = db('held_syncs');
  if (filter.state) q.where('state', filter.state);
  if (filter.tenantId !== undefined) q.where('tenant_id', filter.tenantId);
  if (filter.instanceId !== undefined) q.where('instance_id', filter.instanceId);
  const { rows, total } = await onePage<HeldSyncRow>(q.orderBy('id', 'desc'), filter);
  return { items: rows.map(heldView), page: filter.page, pageSize: filter.pageSize, total };
}

export async function findHeldSync(db: Db, id: number): Promise<HeldSyncView | undefined> {
  const row: HeldSyncRow | undefined = await db('held_syncs').where({ id }).first();
  return row && heldView(row);
}

/** A page of the departments a held sync would remove, in org_code order; undefined once it is decided (they are dropped then). */
export async function heldRemovals(db: Db, id: number, page: Page): Promise<HeldRemovals | { heldSync: HeldSyncView } | undefined> {
  const held = await findHeldSync(db, id);
  if (held?.state !== 'held') return held && { heldSync: held };
  const { rows, total } = await onePage<SnapshotDepartment>(
    db('held_sync_departments').where({ held_id: id, removed: 1 }).orderBy('org_code').select('org_code', 'org_name', 'parent_code'),
    page,
  );
  return { heldSync: held, items: rows.map((r) => ({ orgCode: r.org_code, orgName: r.org_name, parentCode: r.parent_code })), ...page, total };
}

function heldView(r: HeldSyncRow): HeldSyncView {
  const at = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
  return {
    id: Number(r.id),
    instanceId: r.instance_id,
    tenantId: r.tenant_id,
    timeStamp: r.source_ts,
    testFlag: Boolean(Number(r.test_flag)),
    state: r.state,
    departments: Number(r.departments),
    liveDepartments: Number(r.live),
    wouldRemove: Number(r.would_remove),
    supersededBy: r.superseded_by,
    heldAt: at(r.held_at),
    decidedAt: at(r.decided_at),
  };
}

export type Decision = 'apply' | 'discard';

/** Runs a full sync as the marketplace's call would (its guards included), with the mass-delete guard off. */
export type FullSyncRunner = (trx: Trx, body: AllOrgSyncBody, request: SignedRequest) => Promise<CallResult>;

export type DecisionOutcome =
  | { status: 404 }
  | { status: 200 | 409; heldSync: HeldSyncView; message: string; result?: CallResult };

const DONE: Record<Decision, HeldState> = { apply: 'applied', discard: 'discarded' };

/**
 * The merchant's decision on a held sync, in one transaction with its audit record. Applying runs
 * the very same full sync (its timeStamp, so rows newer calls wrote stay as they are); the guard
 * does not hold it again. Repeating the decision already taken answers 200 and changes nothing; a
 * sync decided otherwise, or superseded by a newer full sync, answers 409. `channel` says who decided.
 */
export async function decideHeldSync(db: Db, id: number, decision: Decision, runFullSync: FullSyncRunner, channel: 'api' | 'admin'): Promise<DecisionOutcome> {
  const startedAt = Date.now();
  return inTransaction(db, async (trx) => {
    const row: HeldSyncRow | undefined = await trx('held_syncs').where({ id }).forUpdate().first();
    if (!row) return { status: 404 };
    const done = DONE[decision];
    let outcome: DecisionOutcome;
    if (row.state === done) {
      outcome = { status: 200, heldSync: heldView(row), message: `held sync ${id} was ${done} before; nothing changed` };
    } else if (row.state !== 'held') {
      const why = row.state === 'superseded' ? `a newer full sync (timeStamp ${row.superseded_by}) superseded it` : `it was ${row.state}`;
      outcome = { status: 409, heldSync: heldView(row), message: `held sync ${id} cannot be ${done}: ${why}` };
    } else {
      const body = decision === 'apply' ? await heldBody(trx, row) : undefined;
      // Decided before the sync runs, so the sync's own supersession of held syncs passes it by.
      const decided = { ...row, state: done, decided_at: Date.now() };
      await trx('held_syncs').where({ id }).update({ state: done, decided_at: decided.decided_at });
      await trx('held_sync_departments').where({ held_id: id }).delete();
      const result = body && (await runFullSync(trx, body, { sentAt: Number(row.sent_at) }));
      outcome = { status: 200, heldSync: heldView(decided), message: `held sync ${id} ${done}`, result };
    }
    await writeAudit(trx, {
      channel,
      callName: `${decision}HeldSync`,
      instanceId: row.instance_id,
      tenantId: row.tenant_id,
      resultCode: String(outcome.status),
      resultMsg: outcome.message,
      outcome: outcome.status === 409 ? 'rejected' : (outcome.result?.outcome ?? 'applied'),
      detail: { heldSyncId: id, state: outcome.heldSync.state, ...outcome.result?.detail },
      testFlag: Boolean(Number(row.test_flag)),
      startedAt,
    });
    return outcome;
    // Applying a held full sync writes as much as the sync would have (see inTransaction's `long`).
  }, { long: true });
}

/** The held sync's body as the marketplace sent it (its list validated, duplicates folded). */
async function heldBody(trx: Trx, row: HeldSyncRow): Promise<AllOrgSyncBody> {
  const listed = await readInPages<SnapshotDepartment>(
    () => trx('held_sync_departments').where({ held_id: row.id, removed: 0 }).select('org_code', 'org_name', 'parent_code'),
    'org_code',
  );
  return {
    instanceId: row.instance_id,
    tenantId: row.tenant_id,
    testFlag: Boolean(Number(row.test_flag)),
    timeStamp: row.source_ts,
    listField: 'orgInfoList',
    departments: listed.map((d) => ({ orgCode: d.org_code, orgName: d.org_name, parentCode: d.parent_code })),
  };
}
