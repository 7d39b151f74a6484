import type { Knex } from 'knex';
import { exactText } from './20261121_001_directory.js';

/**
 * Login CSRF: app-initiated states are bound to the browser that started them, and a marketplace
 * login that would replace another user's session waits for that browser's confirmation.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sso_login_states', (t) => {
    // SHA-256 of the browser's login cookie. Null on states issued before this migration: they are
    // refused as unbound, and lapse within SSO_LOGIN_STATE_TTL_SECONDS anyway.
    t.string('binding_hash', 64).nullable();
    t.index(['binding_hash'], 'sso_login_states_binding');
    // The per-tenant cap drops a tenant's oldest states first.
    t.index(['tenant_id', 'expires_at'], 'sso_login_states_tenant');
  });

  await knex.schema.createTable('sso_session_switches', (t) => {
    exactText(knex, t);
    t.string('token_hash', 64).primary();
    t.string('session_hash', 64).notNullable(); // id hash of the session it would replace
    t.string('instance_id', 64).notNullable();
    t.string('tenant_id', 64).notNullable();
    t.string('app_id', 64).notNullable();
    t.string('user_name', 64).notNullable();
    t.string('name', 64).nullable();
    t.string('org_code', 64).nullable();
    t.text('access_token').notNullable(); // AES-256-GCM sealed
    t.text('refresh_token').nullable(); // sealed
    t.integer('expires_in').nullable(); // as the token answer said, counted from issued_at
    t.bigInteger('issued_at').notNullable();
    t.text('return_to').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.index(['expires_at'], 'sso_session_switches_expiry');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('sso_session_switches');
  await knex.schema.alterTable('sso_login_states', (t) => {
    t.dropIndex(['tenant_id', 'expires_at'], 'sso_login_states_tenant');
    t.dropIndex(['binding_hash'], 'sso_login_states_binding');
    t.dropColumn('binding_hash');
  });
}
