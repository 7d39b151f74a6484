import type { AuditRecord } from './audit.js';
import type { InstanceStatus } from './changes.js';

/**
 * One interface per table, as the drivers return its rows: the schema the migrations build, in one
 * page. They live here, at the bottom layer, because several layers read the same table (the
 * directory and SSO both read users and apps) and none may import from above itself.
 *
 * Two driver differences show in the types. Booleans are stored as 0/1 and come back as numbers
 * (MySQL may give `true`/`false` through knex's casts): read them with `bool` from db.ts. BIGINT
 * columns come back as numbers for values a JavaScript number holds exactly (every epoch ms does);
 * MySQL gives a string beyond that, so the columns that may grow are `number | string`.
 */

/** A boolean column: 0/1, or true/false. */
export type Flag = number | boolean;
/** A BIGINT column that may come back as a string (see above). */
export type BigNumber = number | string;

// --- The tenant directory (directory/*) ---

/** Columns every directory table shares: which instance and tenant it belongs to. */
interface DirectoryColumns {
  id: BigNumber;
  instance_id: string;
  tenant_id: string;
}

/** Columns every synced row keeps: the marketplace time that wrote it. */
interface SyncColumns {
  test_flag: Flag;
  source_ts: string;
  created_at: BigNumber;
  /** When the row's content last changed (epoch ms): a re-stamp alone leaves it. */
  updated_at: BigNumber;
}

export interface TenantRow extends DirectoryColumns, SyncColumns {
  tenant_code: string;
  name: string;
  domain_name: string;
  deleted: Flag;
  /** The source_ts of the tenantSync that deleted it. */
  deleted_ts: string | null;
}

export interface AppRow extends DirectoryColumns, SyncColumns {
  app_id: string;
  client_id: string | null;
  /** Sealed with the secret box; null once the app is deleted. */
  client_secret: string | null;
  /** Which RSA-OAEP variant decrypted the secret. */
  secret_padding: string | null;
  deleted: Flag;
}

export interface UserRow extends DirectoryColumns, SyncColumns {
  user_name: string;
  name: string;
  org_code: string;
  position: string | null;
  employee_code: string | null;
  employee_type: number | null;
  mobile: string | null;
  email: string | null;
  work_place: string | null;
  entry_date: string | null;
  deleted: Flag;
}

export type UserAppState = 'authorized' | 'cancelled' | 'deleted';

export interface UserAppRow extends DirectoryColumns, SyncColumns {
  app_id: string;
  user_name: string;
  role: string;
  enabled: Flag;
  state: UserAppState;
}

export interface DepartmentRow extends DirectoryColumns, SyncColumns {
  org_code: string;
  org_name: string;
  parent_code: string | null;
  deleted: Flag;
}

export type HeldState = 'held' | 'applied' | 'discarded' | 'superseded';

/** A full department sync held for the merchant because it would remove too many departments. */
export interface HeldSyncRow {
  id: number;
  instance_id: string;
  tenant_id: string;
  source_ts: string;
  digest: string;
  test_flag: Flag;
  /** The request's x-timestamp (epoch ms). */
  sent_at: number;
  departments: number;
  live: number;
  would_remove: number;
  state: HeldState;
  /** The timeStamp of the newer full sync that replaced it. */
  superseded_by: string | null;
  held_at: number;
  decided_at: number | null;
}

/** One department of a held sync's snapshot; `removed` marks those it would remove. */
export interface HeldSyncDepartmentRow {
  held_id: number;
  removed: Flag;
  org_code: string;
  org_name: string;
  parent_code: string | null;
}

// --- Instances and their orders (instances/*) ---

export interface InstanceRow {
  instance_id: string;
  status: InstanceStatus;
  order_id: string | null;
  order_line_id: string | null;
  product_id: string | null;
  /** yyyyMMddHHmmssSSS, UTC. */
  expire_time: string | null;
  test_flag: Flag;
  /** When an UNFREEZE last arrived (epoch ms), applied or not: a FREEZE sent before it may still be retried. */
  unfrozen_at: BigNumber | null;
  created_at: number;
  updated_at: number;
}

export type OrderKind = 'new' | 'refresh' | 'upgrade' | 'release';

export interface InstanceOrderRow {
  id: BigNumber;
  instance_id: string;
  kind: OrderKind;
  order_id: string;
  order_line_id: string;
  /** refreshInstance only. */
  scene: string | null;
  product_id: string | null;
  expire_time: string | null;
  test_flag: Flag;
  created_at: number;
}

// --- Single sign-on (sso/*) ---

export interface SessionRow {
  id_hash: string;
  instance_id: string;
  tenant_id: string;
  app_id: string;
  user_name: string;
  name: string | null;
  role: string | null;
  org_code: string | null;
  /** Sealed. */
  access_token: string;
  /** Sealed; the IdP may not issue one. */
  refresh_token: string | null;
  access_expires_at: BigNumber;
  refresh_expires_at: BigNumber | null;
  created_at: BigNumber;
  last_seen_at: BigNumber;
  /** The absolute end. */
  expires_at: BigNumber;
  version: number | string;
  renew_owner: string | null;
  renew_lease_until: BigNumber | null;
  renew_failures: number | string;
}

/** A pending app-initiated login, keyed by the hash of its OIDC state. */
export interface LoginStateRow {
  state_hash: string;
  instance_id: string;
  tenant_id: string;
  app_id: string;
  /** Sealed; set when PKCE is on. */
  code_verifier: string | null;
  return_to: string;
  expires_at: number;
  /** Hash of the browser binding that started it. */
  binding_hash: string | null;
}

/** A marketplace login waiting for its browser to confirm it replaces another user's session. */
export interface SessionSwitchRow {
  token_hash: string;
  /** Id hash of the session it would replace. */
  session_hash: string;
  instance_id: string;
  tenant_id: string;
  app_id: string;
  user_name: string;
  name: string | null;
  org_code: string | null;
  /** Sealed. */
  access_token: string;
  /** Sealed. */
  refresh_token: string | null;
  /** As the token answer said, counted from issued_at. */
  expires_in: number | null;
  issued_at: number;
  return_to: string;
  expires_at: number;
}

/** Why a recently ended session ended, kept until its cookie would have expired anyway. */
export interface SessionEndRow {
  id_hash: string;
  cause: string;
  instance_id: string;
  tenant_id: string;
  app_id: string;
  ended_at: number;
  forget_at: number;
}

// --- Calls, jobs and replicas (store/*, jobs/*) ---

export interface NonceRow {
  scope: string;
  nonce: string;
  expires_at: number;
  /** Digest of the request that first used the nonce; a replay must match it. */
  request_hash: string | null;
  /** The JSON answer given the first time, returned again to a replay. */
  answer: string | null;
}

export interface AuditRow {
  id: BigNumber;
  at: number;
  channel: AuditRecord['channel'];
  call_name: string;
  instance_id: string | null;
  tenant_id: string | null;
  nonce: string | null;
  /** raw | canonical: which payload form the signature matched. */
  sign_form: string | null;
  result_code: string;
  result_msg: string;
  outcome: AuditRecord['outcome'];
  /** JSON counts, never secrets. */
  detail: string | null;
  test_flag: Flag | null;
  duration_ms: number;
  source: string | null;
  repeats: number;
  /** Names a kind of refusal counted per source and minute; null for authenticated calls. */
  aggregate_key: string | null;
}

export interface JobLeaseRow {
  name: string;
  owner: string;
  lease_until: number;
}

export interface ReadinessProbeRow {
  replica: string;
  checked_at: number;
}

// --- Webhooks (store/webhooks.ts) ---

export interface WebhookEndpointRow {
  id: string;
  url: string;
  description: string | null;
  /** A JSON array of event types; null: every type. */
  types: string | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: BigNumber | null;
  env_key: string | null;
  disabled: Flag;
  disabled_reason: string | null;
  disabled_at: BigNumber | null;
  failing_since: BigNumber | null;
  enqueued_through: BigNumber;
  created_at: BigNumber;
  updated_at: BigNumber;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveryRow {
  id: string;
  endpoint_id: string;
  event_sequence: BigNumber;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: BigNumber;
  lease_until: BigNumber;
  leased_by: string;
  last_attempt_at: BigNumber | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: BigNumber | null;
  created_at: BigNumber;
}
