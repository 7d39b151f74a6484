import { createHash } from 'node:crypto';
import type { OrgInfo } from '../marketplace/kitSchemas.js';
import type { StoredDepartment } from './departments.js';

/** What a full sync at `ts` must write, decided against the tenant's stored departments. */
export interface SnapshotDiff {
  /** Listed, and not stored or stored as deleted. */
  created: OrgInfo[];
  /** Listed, stored with another name, parent or test flag: as listed, and as stored. */
  changed: { listed: OrgInfo; stored: StoredDepartment }[];
  /** Live, not listed, written by an older call: to be marked deleted. */
  removed: StoredDepartment[];
  /** Listed exactly as stored. */
  unchanged: number;
  /** Written by a newer call, listed or not: left as that call said. */
  newer: StoredDepartment[];
  /** Live, not listed, written at this very time (by a call as recent as this one): left as they are. */
  kept: StoredDepartment[];
  /** Listed unchanged, but written by an older call: they must carry this sync's time. */
  olderUnchanged: number;
  /** Not listed, already deleted, written by an older call: they too must carry this sync's time. */
  olderTombstones: number;
  /** Listed and not stored at all: rows the sync adds to the table. */
  added: number;
}

export function diffSnapshot(snapshot: Map<string, OrgInfo>, stored: StoredDepartment[], ts: string, testFlag: boolean): SnapshotDiff {
  const diff: SnapshotDiff = { created: [], changed: [], removed: [], unchanged: 0, newer: [], kept: [], olderUnchanged: 0, olderTombstones: 0, added: 0 };
  const testFlagValue = testFlag ? 1 : 0;
  for (const row of stored) {
    const listed = snapshot.get(row.org_code);
    if (row.source_ts > ts) diff.newer.push(row);
    else if (listed && row.deleted) diff.created.push(listed);
    else if (listed && (listed.orgName !== row.org_name || listed.parentCode !== row.parent_code || Number(row.test_flag) !== testFlagValue)) diff.changed.push({ listed, stored: row });
    else if (listed) {
      diff.unchanged++;
      if (row.source_ts < ts) diff.olderUnchanged++;
    } else if (row.source_ts < ts) {
      if (row.deleted) diff.olderTombstones++;
      else diff.removed.push(row);
    } else if (!row.deleted) diff.kept.push(row);
  }
  const storedCodes = new Set(stored.map((r) => r.org_code));
  for (const d of snapshot.values()) {
    if (storedCodes.has(d.orgCode)) continue;
    diff.created.push(d);
    diff.added++;
  }
  return diff;
}

/**
 * Names a snapshot by what it says (its departments in order, and the test flag), whatever else
 * its body holds: two snapshots with the same digest leave the same tree. Each text goes with
 * its length, so no name can pass for a boundary.
 */
export function snapshotDigest(departments: OrgInfo[], testFlag: boolean): string {
  const hash = createHash('sha256').update(testFlag ? 't' : 'f');
  let text = '';
  for (const d of departments) {
    text += `${d.orgCode.length}:${d.orgCode}${d.orgName.length}:${d.orgName}${d.parentCode === null ? '-' : `${d.parentCode.length}:${d.parentCode}`}`;
    // Handed over in pieces: one text of a 100,000-department snapshot would be copied whole.
    if (text.length > 65_536) {
      hash.update(text);
      text = '';
    }
  }
  return hash.update(text).digest('hex');
}
