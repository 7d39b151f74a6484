import type { Knex } from 'knex';
import { exactText } from './20261121_001_directory.js';

/**
 * What the merchant's application reports about one instance: its provisioning (PROVISIONING=async)
 * and the appInfo queryInstance answers instead of the templates. `password` is sealed (rt.box).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('instance_provisioning', (t) => {
    exactText(knex, t);
    t.string('instance_id', 64).primary();
    t.string('state', 16).notNullable(); // provisioning | provisioned | failed
    t.bigInteger('since').notNullable();
    t.bigInteger('settled_at').nullable();
    t.string('reason', 1024).nullable();
    t.string('front_end_url', 512).nullable();
    t.string('admin_url', 512).nullable();
    t.string('user_name', 128).nullable();
    t.text('password').nullable();
    t.string('memo', 1024).nullable();
    t.index(['state', 'since'], 'instance_provisioning_state');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('instance_provisioning');
}
