import type { Knex } from 'knex';

/**
 * The admin console reads the audit log newest first, narrowed by one column at a time: an index per
 * filter column, ending in `at` (the table's id follows implicitly), lets each such page read only
 * the rows it shows on a million-row log. tenant_id already has one.
 */
const INDEXES: Array<[string, string]> = [
  ['channel', 'audit_channel'],
  ['call_name', 'audit_call'],
  ['result_code', 'audit_result'],
  ['instance_id', 'audit_instance'],
];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_log', (t) => {
    for (const [column, name] of INDEXES) t.index([column, 'at'], name);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_log', (t) => {
    for (const [column, name] of INDEXES) t.dropIndex([column, 'at'], name);
  });
}
