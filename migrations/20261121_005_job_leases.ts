import type { Knex } from 'knex';
import { exactText } from './20261121_001_directory.js';

/** One row per scheduled job: which process holds this run of it, and until when. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('job_leases', (t) => {
    exactText(knex, t);
    t.string('name', 64).primary();
    t.string('owner', 64).notNullable();
    t.bigInteger('lease_until').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('job_leases');
}
