import type { Knex } from 'knex';
import { exactText } from './20261121_001_directory.js';

/**
 * One row per tenant tree, locked by every department sync that may link departments: whether a
 * move closes a cycle depends on other rows than the one it writes, so two moves of one tenant
 * must not decide it at once (MySQL; SQLite runs one writer at a time anyway).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('department_tree_locks', (t) => {
    exactText(knex, t);
    t.string('instance_id', 64).notNullable();
    t.string('tenant_id', 64).notNullable();
    t.primary(['instance_id', 'tenant_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('department_tree_locks');
}
