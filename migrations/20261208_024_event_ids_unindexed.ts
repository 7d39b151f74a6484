import type { Knex } from 'knex';

/**
 * An event's id is random (132 bits), read by no query (the events API and the webhooks go by
 * sequence), and only a run's first id was in the index anyway. Its unique index cost every
 * event row an insert at a random place: on InnoDB a random page read, which no buffering defers.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('events', (t) => {
    t.dropUnique(['id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('events', (t) => {
    t.unique(['id']);
  });
}
