import type { Knex } from 'knex';
import { exactText } from './20261121_001_directory.js';

/**
 * The orders the basic lifecycle calls carry (spec §7): the new order, renewals and other
 * refreshes, upgrades and the unsubscribe order of a release. One row per order and kind, so a
 * replayed call finds its order already recorded and changes nothing.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('instance_orders', (t) => {
    exactText(knex, t);
    t.bigIncrements('id');
    t.string('instance_id', 64).notNullable();
    t.string('kind', 16).notNullable(); // new | refresh | upgrade | release
    // '' when the call carries no order (a release without 退订 order): unique keys ignore NULLs.
    t.string('order_id', 64).notNullable();
    t.string('order_line_id', 64).notNullable();
    t.string('scene', 32).nullable(); // refreshInstance only
    t.string('product_id', 64).nullable();
    t.string('expire_time', 17).nullable(); // yyyyMMddHHmmssSSS, UTC
    t.boolean('test_flag').notNullable().defaultTo(false);
    t.bigInteger('created_at').notNullable();
    t.unique(['instance_id', 'kind', 'order_id', 'order_line_id'], { indexName: 'instance_orders_key' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('instance_orders');
}
