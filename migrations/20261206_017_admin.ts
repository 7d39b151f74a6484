import type { Knex } from 'knex';

/**
 * The admin console's sign-ins: its sessions (kept by the hash of the cookie's value, so a copy of
 * the table signs nobody in) and the recent sign-in attempts of each source address, shared by every
 * replica so the attempts' limit holds whichever replica a request reaches.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('admin_sessions', (t) => {
    t.string('id_hash', 64).primary();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.index(['expires_at'], 'admin_sessions_expires');
  });
  await knex.schema.createTable('admin_login_attempts', (t) => {
    t.string('source', 64).primary();
    t.bigInteger('window_start').notNullable();
    t.integer('attempts').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('admin_login_attempts');
  await knex.schema.dropTableIfExists('admin_sessions');
}
