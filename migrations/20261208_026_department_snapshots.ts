import type { Knex } from 'knex';
import { exactText } from './20261121_001_directory.js';

/**
 * The last full department snapshot (allOrgSync) applied to each tenant, by digest, with what the
 * tenant's department rows looked like right after it: a resend of that very snapshot is answered
 * without reading the tree again (src/store/departmentSnapshots.ts).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('department_snapshots', (t) => {
    exactText(knex, t);
    t.string('instance_id', 64).notNullable();
    t.string('tenant_id', 64).notNullable();
    t.string('digest', 64).notNullable();
    t.string('source_ts', 17).notNullable();
    t.integer('row_count').notNullable();
    t.primary(['instance_id', 'tenant_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('department_snapshots');
}
