import type { Knex } from 'knex';

/** One row per replica, rewritten by every readiness check: ready means the store takes a write. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('readiness_probes', (t) => {
    t.string('replica', 128).primary();
    t.bigInteger('checked_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('readiness_probes');
}
