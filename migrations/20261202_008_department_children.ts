import type { Knex } from 'knex';

/** The directory API lists a department's children (`?parentCode=`) in org_code order, without scanning the tenant's tree. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('departments', (t) => {
    t.index(['instance_id', 'tenant_id', 'parent_code', 'org_code'], 'departments_parent');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('departments', (t) => {
    t.dropIndex(['instance_id', 'tenant_id', 'parent_code', 'org_code'], 'departments_parent');
  });
}
