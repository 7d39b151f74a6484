import type { Knex } from 'knex';

/**
 * The admin overview shows the latest refused or failed calls. Without an index on the outcome, a
 * log whose failures are rare is read backwards in full to find them (seconds on a million rows).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_log', (t) => {
    t.index(['outcome', 'at'], 'audit_outcome');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_log', (t) => {
    t.dropIndex(['outcome', 'at'], 'audit_outcome');
  });
}
