import type { Knex } from 'knex';
import * as directory from './20261121_001_directory.js';
import * as instances from './20261121_002_instances.js';
import * as lifecycle from './20261121_003_lifecycle.js';
import * as sso from './20261121_004_sso.js';
import * as jobLeases from './20261121_005_job_leases.js';
import * as loginBinding from './20261201_006_login_binding.js';
import * as auditRepeats from './20261201_007_audit_repeats.js';
import * as departmentChildren from './20261202_008_department_children.js';
import * as tenantDeletions from './20261202_009_tenant_deletions.js';
import * as sessionEnds from './20261203_010_session_ends.js';
import * as heldSyncs from './20261203_011_held_syncs.js';
import * as lifecycleReplays from './20261203_012_lifecycle_replays.js';
import * as readinessProbes from './20261203_013_readiness_probes.js';
import * as events from './20261204_014_events.js';
import * as directoryUpdated from './20261204_015_directory_updated.js';
import * as webhooks from './20261205_016_webhooks.js';
import * as admin from './20261206_017_admin.js';
import * as auditReads from './20261206_018_audit_reads.js';
import * as provisioning from './20261206_019_provisioning.js';
import * as appInfoUsage from './20261207_020_app_info_usage.js';
import * as auditOutcomes from './20261207_022_audit_outcomes.js';
import * as eventChunks from './20261207_023_event_chunks.js';
import * as eventIdsUnindexed from './20261208_024_event_ids_unindexed.js';
import * as departmentSnapshots from './20261208_026_department_snapshots.js';

/**
 * Migrations are listed here rather than discovered on disk, so the same list runs under tsc's
 * output, tsx and vitest without a loader for .ts files.
 */
const migrations: Record<string, Knex.Migration> = {
  '20261121_001_directory': directory,
  '20261121_002_instances': instances,
  '20261121_003_lifecycle': lifecycle,
  '20261121_004_sso': sso,
  '20261121_005_job_leases': jobLeases,
  '20261201_006_login_binding': loginBinding,
  '20261201_007_audit_repeats': auditRepeats,
  '20261202_008_department_children': departmentChildren,
  '20261202_009_tenant_deletions': tenantDeletions,
  '20261203_010_session_ends': sessionEnds,
  '20261203_011_held_syncs': heldSyncs,
  '20261203_012_lifecycle_replays': lifecycleReplays,
  '20261203_013_readiness_probes': readinessProbes,
  '20261204_014_events': events,
  '20261204_015_directory_updated': directoryUpdated,
  '20261205_016_webhooks': webhooks,
  '20261206_017_admin': admin,
  '20261206_018_audit_reads': auditReads,
  '20261206_019_provisioning': provisioning,
  '20261207_020_app_info_usage': appInfoUsage,
  '20261207_022_audit_outcomes': auditOutcomes,
  '20261207_023_event_chunks': eventChunks,
  '20261208_024_event_ids_unindexed': eventIdsUnindexed,
  '20261208_026_department_snapshots': departmentSnapshots,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name]!,
};
