import type { Knex } from 'knex';

/**
 * Refusals of requests that proved no credential are counted, not stored one by one: the first
 * of a kind per source and minute gets a row, its repeats raise `repeats`. `aggregate_key` names
 * that kind (a SHA-256); rows of authenticated calls leave it NULL, which a unique key allows many of.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_log', (t) => {
    t.string('source', 64).nullable();
    t.integer('repeats').notNullable().defaultTo(1);
    t.string('aggregate_key', 64).nullable().unique({ indexName: 'audit_aggregate' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_log', (t) => {
    t.dropUnique(['aggregate_key'], 'audit_aggregate');
    t.dropColumns('source', 'repeats', 'aggregate_key');
  });
}
