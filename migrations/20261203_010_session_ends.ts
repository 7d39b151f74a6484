import type { Knex } from 'knex';

/**
 * Why each recently ended session ended (frozen, de-authorized, logged out…), so a browser still
 * holding its cookie is told the reason instead of a bare "not signed in". A row is kept until the
 * session's cookie would have expired anyway (`forget_at`), then purged.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sso_session_ends', (t) => {
    t.string('id_hash', 64).primary();
    t.string('cause', 24).notNullable();
    t.string('instance_id', 64).notNullable();
    t.string('tenant_id', 64).notNullable();
    t.string('app_id', 64).notNullable();
    t.bigInteger('ended_at').notNullable();
    t.bigInteger('forget_at').notNullable();
    t.index(['forget_at'], 'sso_session_ends_forget');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('sso_session_ends');
}
