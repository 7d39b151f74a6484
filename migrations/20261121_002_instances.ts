import type { Knex } from 'knex';
import { exactText } from './20261121_001_directory.js';

/**
 * Instances created by the basic lifecycle calls (spec §7). An instanceId with no row here (the
 * seller's credential application, debug data) counts as active for the kit calls and for logins.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('instances', (t) => {
    exactText(knex, t);
    t.string('instance_id', 64).primary();
    t.string('status', 16).notNullable(); // active | frozen | released
    t.string('order_id', 64).nullable();
    t.string('order_line_id', 64).nullable();
    t.string('product_id', 64).nullable();
    t.string('expire_time', 17).nullable(); // yyyyMMddHHmmssSSS, UTC
    t.boolean('test_flag').notNullable().defaultTo(false);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.unique(['order_id', 'order_line_id'], { indexName: 'instances_order' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('instances');
}
