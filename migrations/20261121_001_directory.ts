import type { Knex } from 'knex';

/** Marketplace ids compare byte-exact ("ZhangSan" ≠ "zhangsan"), as SQLite does by default. */
export function exactText(knex: Knex, t: Knex.CreateTableBuilder) {
  if (knex.client.config.client !== 'mysql2') return;
  t.charset('utf8mb4');
  t.collate('utf8mb4_bin');
}

/** Shared shape of directory tables; every row keeps the marketplace time that wrote it. */
function directoryTable(t: Knex.CreateTableBuilder) {
  t.bigIncrements('id');
  t.string('instance_id', 64).notNullable();
  t.string('tenant_id', 64).notNullable();
}

function syncColumns(t: Knex.CreateTableBuilder) {
  t.boolean('test_flag').notNullable().defaultTo(false);
  t.string('source_ts', 17).notNullable();
  t.bigInteger('created_at').notNullable();
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('tenants', (t) => {
    exactText(knex, t);
    directoryTable(t);
    t.string('tenant_code', 64).notNullable();
    t.string('name', 255).notNullable();
    t.string('domain_name', 512).notNullable();
    t.boolean('deleted').notNullable().defaultTo(false);
    syncColumns(t);
    t.unique(['instance_id', 'tenant_id'], { indexName: 'tenants_key' });
    t.index(['tenant_id'], 'tenants_tenant');
  });

  await knex.schema.createTable('apps', (t) => {
    exactText(knex, t);
    directoryTable(t);
    t.string('app_id', 64).notNullable();
    t.string('client_id', 64).nullable();
    t.text('client_secret').nullable(); // AES-256-GCM sealed; null once the app is deleted
    t.string('secret_padding', 24).nullable(); // which OAEP variant decrypted it (spec §11 q5)
    t.boolean('deleted').notNullable().defaultTo(false);
    syncColumns(t);
    t.unique(['instance_id', 'tenant_id', 'app_id'], { indexName: 'apps_key' });
  });

  await knex.schema.createTable('users', (t) => {
    exactText(knex, t);
    directoryTable(t);
    t.string('user_name', 64).notNullable();
    t.string('name', 64).notNullable();
    t.string('org_code', 64).notNullable();
    t.string('position', 64).nullable();
    t.string('employee_code', 64).nullable();
    t.integer('employee_type').nullable();
    t.string('mobile', 32).nullable();
    t.string('email', 128).nullable();
    t.string('work_place', 256).nullable();
    t.string('entry_date', 20).nullable();
    t.boolean('deleted').notNullable().defaultTo(false);
    syncColumns(t);
    t.unique(['instance_id', 'tenant_id', 'user_name'], { indexName: 'users_key' });
  });

  // One row per (user, app): what authSync says about that user for that app.
  await knex.schema.createTable('user_apps', (t) => {
    exactText(knex, t);
    directoryTable(t);
    t.string('app_id', 64).notNullable();
    t.string('user_name', 64).notNullable();
    t.string('role', 32).notNullable();
    t.boolean('enabled').notNullable();
    t.string('state', 16).notNullable(); // authorized | cancelled | deleted
    syncColumns(t);
    // user_name before app_id: the one index serves both an app's batch (authSync) and a user's apps.
    t.unique(['instance_id', 'tenant_id', 'user_name', 'app_id'], { indexName: 'user_apps_key' });
  });

  await knex.schema.createTable('departments', (t) => {
    exactText(knex, t);
    directoryTable(t);
    t.string('org_code', 64).notNullable();
    t.string('org_name', 128).notNullable();
    t.string('parent_code', 64).nullable();
    t.boolean('deleted').notNullable().defaultTo(false);
    syncColumns(t);
    t.unique(['instance_id', 'tenant_id', 'org_code'], { indexName: 'departments_key' });
    t.index(['instance_id', 'tenant_id', 'source_ts'], 'departments_ts');
  });

  await knex.schema.createTable('nonces', (t) => {
    exactText(knex, t);
    t.string('scope', 8).notNullable();
    t.string('nonce', 128).notNullable();
    t.bigInteger('expires_at').notNullable();
    t.primary(['scope', 'nonce']);
    t.index(['expires_at'], 'nonces_expiry');
  });

  await knex.schema.createTable('audit_log', (t) => {
    exactText(knex, t);
    t.bigIncrements('id');
    t.bigInteger('at').notNullable();
    t.string('channel', 8).notNullable(); // kit | basic | sso
    t.string('call_name', 32).notNullable();
    t.string('instance_id', 64).nullable();
    t.string('tenant_id', 64).nullable();
    t.string('nonce', 128).nullable();
    t.string('sign_form', 16).nullable(); // raw | canonical: which payload form the signature matched
    t.string('result_code', 6).notNullable();
    t.string('result_msg', 255).notNullable();
    t.string('outcome', 16).notNullable(); // applied | stale | rejected | error
    t.text('detail').nullable(); // JSON counts, never secrets
    t.boolean('test_flag').nullable();
    t.integer('duration_ms').notNullable();
    t.index(['at'], 'audit_at');
    t.index(['tenant_id', 'at'], 'audit_tenant');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['audit_log', 'nonces', 'departments', 'user_apps', 'users', 'apps', 'tenants']) {
    await knex.schema.dropTableIfExists(table);
  }
}
