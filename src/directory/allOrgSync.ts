import type { Trx } from '../store/db.js';
import type { DeleteLimit } from '../config/index.js';
import type { AllOrgSyncBody, OrgInfo } from '../marketplace/kitSchemas.js';
import { removeDepartments, restampDepartments, tenantDepartments, writeDepartments, type StoredDepartment } from './departments.js';
import { cycleNotice, findCycle, numberedTree, pathResolver, refuseCycle, treeOf, type NumberedTree, type ParentMap } from './orgTree.js';
import { diffSnapshot, snapshotDigest, type SnapshotDiff } from './snapshotDiff.js';
import { forgetDepartmentSnapshot, recordDepartmentSnapshot, snapshotStillApplied } from '../store/departmentSnapshots.js';
import { emit, type EventType, type NewEventBatch } from '../store/events.js';
import { holdFullSync, overDeleteLimit, supersedeHeldSyncs } from './heldSyncs.js';
import { syncResult, syncStamp, type SyncResult } from './syncResult.js';
import { betweenStatements, turnTaker } from '../store/upsertNewer.js';

/**
 * allOrgSync (spec §5.5): a snapshot of the tenant's department tree. Listed departments are
 * created or changed; every other department written by an older call is marked deleted. Rows
 * written by a newer call (a later singleOrgSync) keep what that call said. Only the difference
 * from the stored tree is written, so a replay writes nothing. A sync that would remove more
 * departments than `deleteLimit` allows is held instead (see heldSyncs); any other supersedes the
 * tenant's held syncs not newer than it. A resend of the last snapshot applied, with nothing
 * written to the tenant's departments since, is known unchanged without reading the tree.
 */
export async function allOrgSync(trx: Trx, body: AllOrgSyncBody, options: { deleteLimit: DeleteLimit; sentAt: number }): Promise<SyncResult> {
  const ts = body.timeStamp;
  const tenantKey = { instance_id: body.instanceId, tenant_id: body.tenantId };
  const snapshot = await snapshotOf(body.departments);
  const digest = snapshotDigest(body.departments, body.testFlag);
  if (await snapshotStillApplied(trx, tenantKey, digest, ts)) {
    await supersedeHeldSyncs(trx, tenantKey, ts);
    return syncResult(body, countsOf(body, snapshot, { created: 0, changed: 0, unchanged: snapshot.size, removed: 0, stale: 0 }));
  }
  // A snapshot is one word at one time: one that loops in itself is wrong, not early.
  await betweenStatements();
  const listed = listedTree(snapshot);
  refuseCycle('orgInfoList', findCycle(listed));
  // Each of these steps holds the thread for up to a tenth of a second at 100,000 departments, and
  // the driver's promises settle without a turn of the event loop: other requests get one between them.
  await betweenStatements();
  const stored = await tenantDepartments(trx, tenantKey);
  await betweenStatements();
  const diff = diffSnapshot(snapshot, stored, ts, body.testFlag);
  const limit = options.deleteLimit;
  const live = stored.filter((d) => !Number(d.deleted)).length;
  if (limit && overDeleteLimit(limit, diff.removed.length, live)) {
    return holdFullSync(trx, { body, snapshot, live, removed: diff.removed, limit, sentAt: options.sentAt });
  }
  // With rows newer calls wrote it may loop: each row keeps its latest word, and the loop is reported.
  const cycle = diff.newer.length > 0 ? findCycle(treeOf(await treeAfterSync(snapshot, diff.newer))) : undefined;

  const result = syncResult(
    body,
    countsOf(body, snapshot, { created: diff.created.length, changed: diff.changed.length, unchanged: diff.unchanged, removed: diff.removed.length, stale: diff.newer.length }),
  );
  if (cycle) {
    result.detail.cycle = cycle;
    result.notice = cycleNotice(cycle);
  }
  const listedNotNewer = diff.created.length + diff.changed.length + diff.unchanged;
  if (snapshot.size > 0 && listedNotNewer === 0) result.outcome = 'stale';

  const { instance_id, tenant_id } = tenantKey;
  const { test_flag, source_ts, created_at, updated_at } = syncStamp(ts, body.testFlag, false);
  // A plain literal per row: spreading a shared base into 100,000 objects costs half a second.
  const row = (d: OrgInfo) => ({ instance_id, tenant_id, org_code: d.orgCode, org_name: d.orgName, parent_code: d.parentCode, deleted: 0, test_flag, source_ts, created_at, updated_at });
  // The events are made while the rows are written: on MySQL the thread would only wait for the store.
  const events = diff.created.length + diff.changed.length + diff.removed.length > 0 ? departmentEvents(body, snapshot, stored, diff, listed) : undefined;
  events?.catch(() => {}); // awaited below, unless a write fails first
  await betweenStatements();
  await writeDepartments(trx, [...diff.created.map(row), ...diff.changed.map((c) => row(c.listed))]);
  // The locked read saw every row, so the rows still older than ts are the listed unchanged ones
  // (they keep their values) and the unlisted ones (they become deleted). Without the former, one
  // statement deletes them all; otherwise removals go by name and one statement stamps the rest.
  if (diff.olderUnchanged === 0) {
    if (diff.removed.length + diff.olderTombstones > 0) await removeDepartments(trx, tenantKey, ts);
  } else {
    await removeDepartments(trx, tenantKey, ts, diff.removed.map((d) => d.org_code));
    await restampDepartments(trx, tenantKey, ts);
  }
  await supersedeHeldSyncs(trx, tenantKey, ts);
  // Only a sync that left every row at its own time can be recognised when it comes again.
  if (diff.newer.length === 0) await recordDepartmentSnapshot(trx, tenantKey, digest, ts, stored.length + diff.added);
  else await forgetDepartmentSnapshot(trx, tenantKey);
  if (events) emit(trx, await events);
  return result;
}

/** A department event's keys, in the department list's order (see departmentView), then an update's. */
const DEPARTMENT_KEYS = ['instanceId', 'tenantId', 'orgCode', 'orgName', 'parentCode', 'path', 'settled', 'syncedAt'];
const UPDATE_KEYS = [...DEPARTMENT_KEYS, 'previousParentCode', 'previousOrgName'];

/**
 * The events of what the diff says changed: created, updated (with the name and parent before),
 * deleted (with its last state), each with its path. Paths come from the tree in memory (the stored
 * live departments, this snapshot applied), not from the store: 100,000 departments, no query.
 * That tree is the listed one unless rows of as recent or newer calls stand beside it. Each kind
 * is one batch of value lists (see NewEventBatch). It takes a tenth of a second or so at 100,000:
 * other requests get turns meanwhile.
 */
async function departmentEvents(body: AllOrgSyncBody, snapshot: Map<string, OrgInfo>, stored: StoredDepartment[], diff: SnapshotDiff, listed: NumberedTree): Promise<NewEventBatch[]> {
  const { instanceId, tenantId, testFlag, timeStamp: ts } = body;
  const turn = turnTaker();
  const batch = (type: EventType, keys: string[], same: Record<string, unknown>): NewEventBatch => ({ type, instanceId, tenantId, testFlag, sourceTime: ts, keys, same, rows: [] });
  const deleted = batch('department.deleted', DEPARTMENT_KEYS, { instanceId, tenantId });
  if (diff.removed.length > 0) {
    const before: ParentMap = new Map();
    for (const d of stored) if (!Number(d.deleted)) before.set(d.org_code, d.parent_code);
    const pathBefore = pathResolver(treeOf(before));
    for (const d of diff.removed) {
      if (turn.due()) await betweenStatements();
      const path = pathBefore(d.org_code);
      deleted.rows.push([d.org_code, d.org_name, d.parent_code, path, path !== null, d.source_ts]);
    }
  }
  const standing = [...diff.newer, ...diff.kept];
  const pathAfter = pathResolver(standing.length === 0 ? listed : treeOf(await treeAfterSync(snapshot, standing)));
  const created = batch('department.created', DEPARTMENT_KEYS, { instanceId, tenantId, syncedAt: ts });
  for (const d of diff.created) {
    if (turn.due()) await betweenStatements();
    const path = pathAfter(d.orgCode);
    created.rows.push([d.orgCode, d.orgName, d.parentCode, path, path !== null]);
  }
  const updated = batch('department.updated', UPDATE_KEYS, { instanceId, tenantId, syncedAt: ts });
  for (const { listed: d, stored: was } of diff.changed) {
    if (turn.due()) await betweenStatements();
    const path = pathAfter(d.orgCode);
    updated.rows.push([d.orgCode, d.orgName, d.parentCode, path, path !== null, was.parent_code, was.org_name]);
  }
  // In the order the audit detail counts them: created, changed, removed.
  return [created, updated, deleted];
}

/** The audit record's counts of a full sync: departments listed (duplicate codes once) and what became of them. */
function countsOf(body: AllOrgSyncBody, snapshot: Map<string, OrgInfo>, counts: Record<'created' | 'changed' | 'unchanged' | 'removed' | 'stale', number>) {
  return { departments: snapshot.size, duplicates: body.departments.length - snapshot.size, ...counts };
}

/** The listed departments by code (the last of a code listed twice). Like each step of a sync of 100,000, in turns. */
async function snapshotOf(departments: OrgInfo[]): Promise<Map<string, OrgInfo>> {
  const turn = turnTaker();
  const snapshot = new Map<string, OrgInfo>();
  for (const d of departments) {
    if (turn.due()) await betweenStatements();
    snapshot.set(d.orgCode, d);
  }
  return snapshot;
}

/** The snapshot's tree, in its order. */
function listedTree(snapshot: Map<string, OrgInfo>): NumberedTree {
  const codes: string[] = [];
  const parents: (string | null)[] = [];
  for (const d of snapshot.values()) {
    codes.push(d.orgCode);
    parents.push(d.parentCode);
  }
  return numberedTree(codes, parents);
}

/** The listed tree with the rows that stand beside it: newer rows as stored (a deleted one gone), rows of this very time kept. */
async function treeAfterSync(snapshot: Map<string, OrgInfo>, standing: StoredDepartment[]): Promise<ParentMap> {
  const turn = turnTaker();
  const parents: ParentMap = new Map();
  for (const [code, d] of snapshot) {
    if (turn.due()) await betweenStatements();
    parents.set(code, d.parentCode);
  }
  for (const n of standing) {
    if (n.deleted) parents.delete(n.org_code);
    else parents.set(n.org_code, n.parent_code);
  }
  return parents;
}
