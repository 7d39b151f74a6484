import type { Knex } from 'knex';
import { exactText } from './20261121_001_directory.js';

/**
 * Single sign-on (spec §6): server-side sessions, so any replica serves any request, and the
 * pending app-initiated logins. Ids and states are stored as SHA-256 hex only; tokens are sealed.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sso_sessions', (t) => {
    exactText(knex, t);
    t.string('id_hash', 64).primary();
    t.string('instance_id', 64).notNullable();
    t.string('tenant_id', 64).notNullable();
    t.string('app_id', 64).notNullable();
    t.string('user_name', 64).notNullable();
    // As at login (the directory's, else userinfo's); the role is read live from user_apps.
    t.string('name', 64).nullable();
    t.string('role', 32).nullable();
    t.string('org_code', 64).nullable();
    t.text('access_token').notNullable(); // AES-256-GCM sealed
    t.text('refresh_token').nullable(); // sealed; the IdP may not issue one
    t.bigInteger('access_expires_at').notNullable(); // epoch ms
    t.bigInteger('refresh_expires_at').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_seen_at').notNullable();
    t.bigInteger('expires_at').notNullable(); // absolute end
    // Single-flight renewal across processes: whoever sets the lease spends the refresh token.
    t.integer('version').notNullable().defaultTo(0);
    t.string('renew_owner', 32).nullable();
    t.bigInteger('renew_lease_until').nullable();
    t.integer('renew_failures').notNullable().defaultTo(0);
    t.index(['instance_id', 'tenant_id', 'app_id', 'user_name'], 'sso_sessions_user');
    t.index(['access_expires_at'], 'sso_sessions_access');
    t.index(['expires_at'], 'sso_sessions_expiry');
  });

  await knex.schema.createTable('sso_login_states', (t) => {
    exactText(knex, t);
    t.string('state_hash', 64).primary();
    t.string('instance_id', 64).notNullable();
    t.string('tenant_id', 64).notNullable();
    t.string('app_id', 64).notNullable();
    t.text('code_verifier').nullable(); // sealed; set when PKCE is on
    t.text('return_to').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.index(['expires_at'], 'sso_login_states_expiry');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('sso_login_states');
  await knex.schema.dropTableIfExists('sso_sessions');
}
