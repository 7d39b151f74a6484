import type { Knex } from 'knex';
import { exactText } from './20261121_001_directory.js';

/**
 * What the merchant's application tells of an instance besides its provisioning, and the key of
 * pay-per-use orders:
 * - instance_app_info: appInfo fields set through the instance API, preferred by queryInstance to
 *   the provisioning report and the templates; `password` is sealed (rt.box);
 * - instance_usage: the latest usage per relatedInstanceId ('' when none was given), answered in
 *   queryInstance's usageInfo; usage_value as exact decimal text, statistical_time yyyyMMddHHmmssSSS (UTC);
 * - pay_per_use_orders: orderId + productId of a newInstance that carried a productId, so a second
 *   newInstance of the same pay-per-use order finds its instance (spec §7.1).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('instance_app_info', (t) => {
    exactText(knex, t);
    t.string('instance_id', 64).primary();
    t.string('front_end_url', 512).nullable();
    t.string('admin_url', 512).nullable();
    t.string('user_name', 128).nullable();
    t.text('password').nullable();
    t.string('memo', 1024).nullable();
    t.bigInteger('updated_at').notNullable();
  });
  await knex.schema.createTable('instance_usage', (t) => {
    exactText(knex, t);
    t.string('instance_id', 64).notNullable();
    t.string('related_instance_id', 64).notNullable();
    t.string('usage_value', 16).notNullable();
    t.string('statistical_time', 17).notNullable();
    t.string('dashboard_url', 512).nullable();
    t.bigInteger('reported_at').notNullable();
    t.primary(['instance_id', 'related_instance_id']);
  });
  await knex.schema.createTable('pay_per_use_orders', (t) => {
    exactText(knex, t);
    t.string('order_id', 64).notNullable();
    t.string('product_id', 64).notNullable();
    // Empty while the newInstance that claimed the key creates the instance, in the same transaction.
    t.string('instance_id', 64).notNullable();
    t.primary(['order_id', 'product_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['pay_per_use_orders', 'instance_usage', 'instance_app_info']) await knex.schema.dropTableIfExists(table);
}
