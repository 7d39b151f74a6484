import type { Knex } from 'knex';

/**
 * The outbox of directory changes: each call writes its events in its own transaction. `sequence`
 * is given out from one counter row, locked from the moment a transaction takes its numbers until
 * it commits, so sequences are in commit order and a reader never sees a larger one before a smaller.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('events', (t) => {
    t.bigInteger('sequence').primary();
    t.string('id', 40).notNullable().unique();
    t.string('type', 40).notNullable();
    t.bigInteger('occurred_at').notNullable();
    t.string('source_time', 17).nullable();
    t.string('instance_id', 64).nullable();
    t.string('tenant_id', 64).nullable();
    t.tinyint('test_flag').notNullable().defaultTo(0);
    // An instance with its tenants, or a user with every app, may pass the 64 KB of MySQL's TEXT.
    t.text('data', 'mediumtext').notNullable();
    t.index(['tenant_id', 'sequence']);
    t.index(['instance_id', 'sequence']);
  });
  await knex.schema.createTable('event_sequence', (t) => {
    t.string('name', 16).primary();
    t.bigInteger('last').notNullable();
    /** The largest sequence retention has deleted: a cursor before it has missed events. */
    t.bigInteger('purged_through').notNullable();
  });
  await knex('event_sequence').insert({ name: 'events', last: 0, purged_through: 0 });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('event_sequence');
  await knex.schema.dropTableIfExists('events');
}
