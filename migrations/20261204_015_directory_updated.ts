import type { Knex } from 'knex';

/**
 * When each directory row's content last changed (epoch ms), for receivers that reconcile from the
 * directory lists (`updatedSince`). A resend that only re-stamps a row with a newer marketplace
 * time leaves it as it was. Rows from before this migration take their creation time.
 */
const TABLES = ['tenants', 'apps', 'users', 'user_apps', 'departments'] as const;

export async function up(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.bigInteger('updated_at').notNullable().defaultTo(0);
      // Tenants are listed across instances; the rest within one tenant.
      t.index(table === 'tenants' ? ['updated_at'] : ['instance_id', 'tenant_id', 'updated_at'], `${table}_updated`);
    });
    await knex(table).update({ updated_at: knex.ref('created_at') });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.dropIndex([], `${table}_updated`);
      t.dropColumn('updated_at');
    });
  }
}
