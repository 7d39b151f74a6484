import type { Knex } from 'knex';
import { exactText } from './20261121_001_directory.js';

/**
 * Webhook endpoints and the delivery of each event to each of them. An endpoint keeps a cursor, the
 * last event sequence the worker has turned into deliveries for it; a delivery is one event for one
 * endpoint, claimed by one replica at a time through its lease.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_endpoints', (t) => {
    exactText(knex, t);
    t.string('id', 40).primary();
    t.string('url', 2048).notNullable();
    t.string('description', 500).nullable();
    /** A JSON array of event types; null: every type. */
    t.text('types').nullable();
    /** Sealed with DATA_ENCRYPTION_KEY. */
    t.text('secret').notNullable();
    /** The secret before the last rotation, which still signs until previous_secret_until. */
    t.text('previous_secret').nullable();
    t.bigInteger('previous_secret_until').nullable();
    /** 'WEBHOOK_URL' for the endpoint the environment configures (one at most); null for the API's. */
    t.string('env_key', 32).nullable().unique();
    t.tinyint('disabled').notNullable().defaultTo(0);
    t.string('disabled_reason', 500).nullable();
    t.bigInteger('disabled_at').nullable();
    /** The first failure since the last success. */
    t.bigInteger('failing_since').nullable();
    /** The cursor: the last event sequence the worker has turned into this endpoint's deliveries. */
    t.bigInteger('enqueued_through').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
  await knex.schema.createTable('webhook_deliveries', (t) => {
    exactText(knex, t);
    t.string('id', 40).primary();
    t.string('endpoint_id', 40).notNullable();
    t.bigInteger('event_sequence').notNullable();
    t.string('event_id', 40).notNullable();
    t.string('event_type', 40).notNullable();
    /** pending (waiting or in flight), delivered, failed (no attempt left: a manual retry may start again). */
    t.string('status', 16).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at').notNullable();
    /** While a replica sends it: until when its claim holds, and whose claim it is. */
    t.bigInteger('lease_until').notNullable().defaultTo(0);
    t.string('leased_by', 64).notNullable().defaultTo('');
    t.bigInteger('last_attempt_at').nullable();
    t.integer('last_status_code').nullable();
    t.string('last_error', 500).nullable();
    t.bigInteger('delivered_at').nullable();
    t.bigInteger('created_at').notNullable();
    t.unique(['endpoint_id', 'event_sequence'], { indexName: 'webhook_deliveries_event' });
    // The worker's claim: an endpoint's due deliveries, the earliest due first.
    t.index(['endpoint_id', 'status', 'next_attempt_at', 'event_sequence'], 'webhook_deliveries_due');
    // Claims in flight, counted against the endpoint's concurrency.
    t.index(['endpoint_id', 'lease_until'], 'webhook_deliveries_leases');
    // The oldest pending delivery, for the metrics.
    t.index(['status', 'created_at'], 'webhook_deliveries_age');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('webhook_deliveries');
  await knex.schema.dropTableIfExists('webhook_endpoints');
}
