import type { Knex } from 'knex';
import { exactText } from './20261121_001_directory.js';

/**
 * Full department syncs that would remove more departments than ORG_SYNC_DELETE_LIMIT allows are
 * held for the merchant instead of applied. `held_syncs` has one row per distinct held sync
 * (tenant, timeStamp and the digest of its list, so a replay finds it again) and what was decided.
 * Its snapshot (which may list 100,000 departments) is kept a row per department in
 * `held_sync_departments`, beside the departments it would remove (`removed` = 1), so applying it
 * later runs the very same full sync. Those rows go once the sync is decided.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('held_syncs', (t) => {
    exactText(knex, t);
    t.increments('id');
    t.string('instance_id', 64).notNullable();
    t.string('tenant_id', 64).notNullable();
    t.string('source_ts', 17).notNullable();
    t.string('digest', 64).notNullable();
    t.boolean('test_flag').notNullable();
    // The request's x-timestamp (epoch ms): applying the sync checks its timeStamp against it again.
    t.bigInteger('sent_at').notNullable();
    t.integer('departments').notNullable();
    t.integer('live').notNullable();
    t.integer('would_remove').notNullable();
    t.string('state', 16).notNullable(); // held | applied | discarded | superseded
    t.string('superseded_by', 17).nullable(); // timeStamp of the newer full sync
    t.bigInteger('held_at').notNullable();
    t.bigInteger('decided_at').nullable();
    t.unique(['instance_id', 'tenant_id', 'source_ts', 'digest'], { indexName: 'held_syncs_key' });
    t.index(['instance_id', 'tenant_id', 'state'], 'held_syncs_tenant');
    t.index(['state', 'id'], 'held_syncs_state');
  });
  await knex.schema.createTable('held_sync_departments', (t) => {
    exactText(knex, t);
    t.integer('held_id').unsigned().notNullable();
    t.boolean('removed').notNullable();
    t.string('org_code', 64).notNullable();
    t.string('org_name', 128).notNullable();
    t.string('parent_code', 64).nullable();
    t.primary(['held_id', 'removed', 'org_code']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('held_sync_departments');
  await knex.schema.dropTableIfExists('held_syncs');
}
