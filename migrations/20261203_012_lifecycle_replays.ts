import type { Knex } from 'knex';

/**
 * What replays and late retries of marketplace calls need to be told apart from new calls:
 * - each spent nonce keeps a hash of its request and the answer it got, so a byte-identical resend
 *   (the marketplace lost the answer) is answered the same way instead of refused;
 * - each instance keeps when it was last told UNFREEZE, so a FREEZE retried after it is recognised;
 * - debug releases no longer leave a tombstone (the seller centre replays its saved cases forever):
 *   the ones left by earlier versions go, so those cases write their debug data again.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('nonces', (t) => {
    t.string('request_hash', 64).nullable();
    // A queryInstance answer for 100 instances exceeds MySQL's 64 KB TEXT.
    t.text('answer', 'mediumtext').nullable();
  });
  await knex.schema.alterTable('instances', (t) => {
    t.bigInteger('unfrozen_at').nullable();
  });
  const debugTombstones = knex('instances').where({ status: 'released', test_flag: 1 }).select('instance_id');
  await knex('instance_orders').whereIn('instance_id', debugTombstones).delete();
  await knex('instances').where({ status: 'released', test_flag: 1 }).delete();
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('instances', (t) => {
    t.dropColumn('unfrozen_at');
  });
  await knex.schema.alterTable('nonces', (t) => {
    t.dropColumn('answer');
    t.dropColumn('request_hash');
  });
}
