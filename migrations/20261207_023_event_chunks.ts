import type { Knex } from 'knex';

/**
 * A row of the outbox may hold a run of a large call's events: sequences `sequence` through
 * `last_sequence`, with their ids and objects in `data` (src/store/events.ts). A row of one event
 * has both the same, as every row written before.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('events', (t) => {
    t.bigInteger('last_sequence').notNullable().defaultTo(0);
  });
  await knex('events').update({ last_sequence: knex.ref('sequence') });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('events', (t) => {
    t.dropColumn('last_sequence');
  });
}
