import type { Trx } from '../store/db.js';
import type { SingleOrgSyncBody } from '../marketplace/kitSchemas.js';
import { invalidParam } from '../marketplace/resultCodes.js';
import { ancestry, departmentBeforeWrite, liveChildrenAndAncestry, lockedAncestors, writeDepartments, type StoredDepartment } from './departments.js';
import { cycleNotice, pathsOf, pathUnder, type ParentMap } from './orgTree.js';
import { emit, type NewEvent } from '../store/events.js';
import { departmentView } from './queries.js';
import { kitEvent } from './directoryEvents.js';
import { syncResult, syncStamp, type SyncResult } from './syncResult.js';
import { forgetDepartmentSnapshot } from '../store/departmentSnapshots.js';

/**
 * singleOrgSync (spec §5.4): one department added, changed (also moved) or deleted. A move is the
 * latest word on its row even when, with the other rows as they stand, it closes a cycle: an older
 * move of another department may still be on its way (calls overtake each other). So it is stored,
 * and the cycle reported; the tree settles when a department in it moves again.
 */
export async function singleOrgSync(trx: Trx, body: SingleOrgSyncBody): Promise<SyncResult> {
  const tenantKey = { instance_id: body.instanceId, tenant_id: body.tenantId };
  const key = { ...tenantKey, org_code: body.orgCode };
  const deleted = body.flag === 0;
  const result = syncResult(body, { flag: body.flag, orgCode: body.orgCode });
  if (!deleted && body.parentCode === body.orgCode) throw invalidParam(`parentCode: department ${body.orgCode} cannot be its own parent`);
  // Locked until the call commits: a newer call's row stands (stale), and what was before is known.
  const row = { ...key, org_name: body.orgName, parent_code: body.parentCode, ...syncStamp(body.timeStamp, body.testFlag, deleted) };
  const { stored, inserted } = await departmentBeforeWrite(trx, row, body.flag === 1 ? 'new' : 'stored');
  if (stored && stored.source_ts > body.timeStamp) return { ...result, outcome: 'stale' };
  if (!inserted) await writeDepartments(trx, [row]);
  // A row rewritten at the time it carries keeps that time: a full snapshot of that very time
  // would no longer tell the tree (see departmentSnapshots). Only resends and exact ties get here.
  if (stored?.source_ts === body.timeStamp) await forgetDepartmentSnapshot(trx, tenantKey);
  // Written first, then the walk up from the new parent: reaching this department means a cycle.
  // Only a department with children can be reached (a new one mostly has none): others skip it.
  // The parent's ancestry, for the event's path, comes with the question.
  const read = !deleted && body.parentCode ? await liveChildrenAndAncestry(trx, tenantKey, body.orgCode, body.parentCode) : undefined;
  if (read?.hasChildren) {
    const chain = await lockedAncestors(trx, tenantKey, body.parentCode!, body.orgCode);
    if (chain.at(-1) === body.orgCode) {
      const cycle = [body.orgCode, ...chain];
      result.detail.cycle = cycle;
      result.notice = cycleNotice(cycle);
    }
  }
  // After a walk up (which may have waited for a concurrent move) the path is read again.
  const event = await departmentEvent(trx, body, stored, read?.hasChildren ? undefined : read?.above);
  if (event) emit(trx, [event]);
  return result;
}

/**
 * What the call changed, as the department list shows it: created (new, or deleted before),
 * updated (renamed, moved, or its test flag; with the name and parent before), deleted (with its
 * last state). The path is the one after the change, from the department's live ancestors.
 */
async function departmentEvent(trx: Trx, body: SingleOrgSyncBody, stored: StoredDepartment | undefined, aboveNewParent?: ParentMap): Promise<NewEvent | undefined> {
  const key = { instance_id: body.instanceId, tenant_id: body.tenantId };
  const live = stored !== undefined && !Number(stored.deleted);
  const changed = !live || stored.org_name !== body.orgName || stored.parent_code !== body.parentCode || Number(stored.test_flag) !== (body.testFlag ? 1 : 0);
  if (body.flag === 0 ? !live : !changed) return undefined;
  const shown = body.flag === 0 ? stored! : { org_code: body.orgCode, org_name: body.orgName, parent_code: body.parentCode, source_ts: body.timeStamp };
  const parents = shown.parent_code === null ? undefined : body.flag !== 0 && aboveNewParent ? aboveNewParent : await ancestry(trx, key, [shown.parent_code]);
  const above = parents ? pathsOf(parents) : new Map();
  const data = { instanceId: body.instanceId, tenantId: body.tenantId, ...departmentView(shown, pathUnder(above, shown.parent_code, shown.org_code)) };
  if (body.flag === 0) return kitEvent(body, body.timeStamp, 'department.deleted', data);
  if (!live) return kitEvent(body, body.timeStamp, 'department.created', data);
  return kitEvent(body, body.timeStamp, 'department.updated', { ...data, previousParentCode: stored.parent_code, previousOrgName: stored.org_name });
}
