import type { Knex } from 'knex';

/**
 * A tenant's deletion outlives a later re-add: `deleted_ts` keeps the marketplace time of its latest
 * deletion, and kit calls for the tenant older than it change nothing. Tenants deleted before this
 * migration get it from their tombstone, and what is under them (written before the deletion) is
 * marked deleted too, so a re-add cannot bring it back.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tenants', (t) => {
    t.string('deleted_ts', 17).nullable();
  });
  await knex('tenants').where('deleted', 1).update({ deleted_ts: knex.ref('source_ts') });
  const endedChildren = [
    ['apps', { deleted: 1, client_secret: null, secret_padding: null }],
    ['users', { deleted: 1 }],
    ['departments', { deleted: 1 }],
    ['user_apps', { state: 'deleted' }],
  ] as const;
  for (const [table, ended] of endedChildren) {
    await knex(table)
      .whereExists((q) =>
        q
          .select(knex.raw('1'))
          .from('tenants')
          .whereRaw(`tenants.instance_id = ${table}.instance_id and tenants.tenant_id = ${table}.tenant_id`)
          .andWhere('tenants.deleted', 1)
          .andWhereRaw(`${table}.source_ts <= tenants.source_ts`),
      )
      .update(ended);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tenants', (t) => {
    t.dropColumn('deleted_ts');
  });
}
