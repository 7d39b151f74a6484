import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { validate as validCron } from 'node-cron';
import defaults from '../../config/default.json' with { type: 'json' };
import { loadDevelopmentKeys, type GeneratedKey } from './devKeys.js';

const base64Key32 = z
  .string()
  .transform((s) => Buffer.from(s, 'base64'))
  .refine((b) => b.length === 32, 'must be 32 bytes, base64-encoded');

/** queryInstance's appInfo URLs: absolute, or a path resolved against PUBLIC_URL; {instanceId} is filled in. */
const urlTemplate = z
  .string()
  .max(400)
  .regex(/^(https?:\/\/|\/)/, 'must be an http(s) URL or a path starting with /');

const envFlag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const emptyOrOrigin = z.union([z.literal(''), z.url({ protocol: /^https?$/ }).transform((u) => new URL(u).origin)]);

/**
 * When a full department sync is held instead of applied: it would remove more than `count` of the
 * tenant's live departments and, with `percent`, more than that share of them. Null: never held.
 */
export type DeleteLimit = { percent: number | null; count: number; text: string } | null;

/** The floor under a percentage limit: a small tenant may lose a few departments in one sync. */
const DELETE_LIMIT_FLOOR = 10;

/** "20%" (and more than 10), "20%,50" (and more than 50), "500" (more than 500 departments), or "0" (off). */
const deleteLimit = z
  .union([z.number(), z.string()])
  .transform((v, ctx): DeleteLimit => {
    const text = String(v).trim();
    const share = /^(\d{1,3}(?:\.\d+)?)%(?:\s*,\s*(\d{1,9}))?$/.exec(text);
    if (share && Number(share[1]) <= 100) return { percent: Number(share[1]), count: share[2] === undefined ? DELETE_LIMIT_FLOOR : Number(share[2]), text };
    if (/^\d{1,9}$/.test(text)) return Number(text) === 0 ? null : { percent: null, count: Number(text), text };
    ctx.addIssue({ code: 'custom', message: 'must be a percentage like 20% (optionally with a floor, 20%,50), a number of departments, or 0 (off)' });
    return z.NEVER;
  });

const schema = z.object({
  nodeEnv: z.string().default('development'),
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string(),
  // Filled in by loadConfig (or, for an ephemeral port, by startServer): never from a request.
  publicUrl: z.union([z.literal(''), z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''))]),
  trustProxy: envFlag,
  dataDir: z.string(),
  databaseUrl: z
    .string()
    .regex(/^(mysql2?:\/\/|sqlite:\/\/.)/, 'must be a mysql:// URL, or sqlite:// followed by a file path')
    .optional(),
  marketplaceBasePath: z
    .string()
    .regex(/^(\/[A-Za-z0-9._~-]+)*$/, 'must be empty or like /koogallery (no trailing slash)'),
  signatureWindowSeconds: z.coerce.number().int().positive(),
  marketplaceCallTimeoutSeconds: z.coerce.number().positive().max(19),
  maxFutureSkewSeconds: z.coerce.number().int().min(0).max(86_400),
  marketplaceRetryHours: z.coerce.number().min(0).max(168),
  acceptCanonicalPayload: envFlag,
  bodyLimitBytes: z.coerce.number().int().positive(),
  largeBodyBytes: z.coerce.number().int().positive(),
  largeBodyConcurrency: z.coerce.number().int().min(1).max(64),
  canonicalPayloadMaxBytes: z.coerce.number().int().min(0),
  auditRetentionDays: z.coerce.number().int().min(1),
  orgSyncDeleteLimit: deleteLimit,
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  mysqlPoolMax: z.coerce.number().int().positive(),
  startupWaitSeconds: z.coerce.number().int().min(0).max(3600),
  // Under the 30 s a container platform typically waits after SIGTERM before it kills the process.
  shutdownTimeoutSeconds: z.coerce.number().positive().max(3600),
  kitAccessKey: z.string().min(16, 'must be at least 16 characters'),
  basicAccessKey: z.string().min(16, 'must be at least 16 characters'),
  rsaPrivateKeyPem: z.string().refine(isStrongRsaKey, 'must be a PKCS#8 PEM RSA private key of at least 3072 bits'),
  dataEncryptionKey: base64Key32,
  apiToken: z.string().min(24, 'must be at least 24 characters'),
  frontEndUrl: urlTemplate,
  adminUrl: urlTemplate,
  // Escaped as \uXXXX in the answer (spec §7.2): 160 CJK characters stay within String(1024).
  instanceMemo: z.string().max(160),
  // Single sign-on (spec §6)
  ssoAllowHttp: envFlag,
  appOrigin: emptyOrOrigin,
  ssoDefaultReturnTo: z.string().max(2048),
  ssoLogoutLanding: z.string().max(2048),
  ssoCookieName: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . -'),
  ssoSessionIdleMinutes: z.coerce.number().int().min(1),
  ssoSessionAbsoluteHours: z.coerce.number().int().min(1).max(720, "at most 720 (30 days, the refresh token's lifetime)"),
  ssoRenewMarginSeconds: z.coerce.number().int().min(10).max(3600),
  ssoPkce: envFlag,
  ssoRenewSchedule: z.string().refine(validCron, 'must be a cron expression'),
  ssoRenewConcurrency: z.coerce.number().int().min(1).max(256),
  ssoRenewActiveMinutes: z.coerce.number().int().min(1),
  ssoAppId: z.string().max(64),
  ssoHttpTimeoutSeconds: z.coerce.number().positive().max(120),
  ssoIdpBackoffSeconds: z.coerce.number().positive().max(3600),
  ssoLoginStateTtlSeconds: z.coerce.number().int().min(30).max(3600),
  ssoScope: z.string().min(1).max(255),
});

export type Config = z.infer<typeof schema> & {
  /** Keys generated for development on this start (printed once so the seller centre can be set up). */
  generatedKeys: GeneratedKey[];
  /** The embedded store's file when DATABASE_URL is not MySQL (sqlite://PATH, else DATA_DIR/koobridge.sqlite). */
  sqliteFile: string;
};

type Env = Record<string, string | undefined>;

/** Environment variables override config/default.json; each maps to one config field. */
const ENV: Record<string, keyof z.input<typeof schema>> = {
  NODE_ENV: 'nodeEnv',
  PORT: 'port',
  HOST: 'host',
  PUBLIC_URL: 'publicUrl',
  TRUST_PROXY: 'trustProxy',
  DATA_DIR: 'dataDir',
  DATABASE_URL: 'databaseUrl',
  MARKETPLACE_BASE_PATH: 'marketplaceBasePath',
  SIGNATURE_WINDOW_SECONDS: 'signatureWindowSeconds',
  MARKETPLACE_CALL_TIMEOUT_SECONDS: 'marketplaceCallTimeoutSeconds',
  MAX_FUTURE_SKEW_SECONDS: 'maxFutureSkewSeconds',
  MARKETPLACE_RETRY_HOURS: 'marketplaceRetryHours',
  ACCEPT_CANONICAL_PAYLOAD: 'acceptCanonicalPayload',
  BODY_LIMIT_BYTES: 'bodyLimitBytes',
  LARGE_BODY_BYTES: 'largeBodyBytes',
  LARGE_BODY_CONCURRENCY: 'largeBodyConcurrency',
  CANONICAL_PAYLOAD_MAX_BYTES: 'canonicalPayloadMaxBytes',
  AUDIT_RETENTION_DAYS: 'auditRetentionDays',
  ORG_SYNC_DELETE_LIMIT: 'orgSyncDeleteLimit',
  LOG_LEVEL: 'logLevel',
  MYSQL_POOL_MAX: 'mysqlPoolMax',
  STARTUP_WAIT_SECONDS: 'startupWaitSeconds',
  SHUTDOWN_TIMEOUT_SECONDS: 'shutdownTimeoutSeconds',
  KIT_ACCESS_KEY: 'kitAccessKey',
  BASIC_ACCESS_KEY: 'basicAccessKey',
  RSA_PRIVATE_KEY: 'rsaPrivateKeyPem',
  DATA_ENCRYPTION_KEY: 'dataEncryptionKey',
  API_TOKEN: 'apiToken',
  FRONT_END_URL: 'frontEndUrl',
  ADMIN_URL: 'adminUrl',
  INSTANCE_MEMO: 'instanceMemo',
  SSO_ALLOW_HTTP: 'ssoAllowHttp',
  APP_ORIGIN: 'appOrigin',
  SSO_DEFAULT_RETURN_TO: 'ssoDefaultReturnTo',
  SSO_LOGOUT_LANDING: 'ssoLogoutLanding',
  SSO_COOKIE_NAME: 'ssoCookieName',
  SSO_SESSION_IDLE_MINUTES: 'ssoSessionIdleMinutes',
  SSO_SESSION_ABSOLUTE_HOURS: 'ssoSessionAbsoluteHours',
  SSO_RENEW_MARGIN_SECONDS: 'ssoRenewMarginSeconds',
  SSO_PKCE: 'ssoPkce',
  SSO_RENEW_SCHEDULE: 'ssoRenewSchedule',
  SSO_RENEW_CONCURRENCY: 'ssoRenewConcurrency',
  SSO_RENEW_ACTIVE_MINUTES: 'ssoRenewActiveMinutes',
  SSO_APP_ID: 'ssoAppId',
  SSO_HTTP_TIMEOUT_SECONDS: 'ssoHttpTimeoutSeconds',
  SSO_IDP_BACKOFF_SECONDS: 'ssoIdpBackoffSeconds',
  SSO_LOGIN_STATE_TTL_SECONDS: 'ssoLoginStateTtlSeconds',
  SSO_SCOPE: 'ssoScope',
};

const SECRET_FIELDS = ['kitAccessKey', 'basicAccessKey', 'rsaPrivateKeyPem', 'dataEncryptionKey', 'apiToken'] as const;

/** A start that cannot go on, said in one line for the operator (no stack trace). */
export class StartupError extends Error {}

export class ConfigError extends StartupError {}

/** A failed start on stderr: a StartupError in its one line, anything unforeseen with its stack. */
export function reportStartupFailure(err: unknown): void {
  console.error(err instanceof StartupError ? `koobridge: ${err.message}` : err);
}

/**
 * Reads config/default.json, then the environment. Outside production, missing keys are generated
 * once and kept under dataDir; in production a missing key stops the start with its variable named.
 */
export function loadConfig(env: Env = process.env): Config {
  const raw: Record<string, unknown> = { ...defaults };
  for (const [name, field] of Object.entries(ENV)) {
    if (env[name] !== undefined && env[name] !== '') raw[field] = env[name];
  }
  if (env.RSA_PRIVATE_KEY_FILE && raw.rsaPrivateKeyPem === undefined) {
    raw.rsaPrivateKeyPem = readKeyFile(env.RSA_PRIVATE_KEY_FILE);
  }
  const production = (raw.nodeEnv ?? 'development') === 'production';
  const missing = SECRET_FIELDS.filter((f) => raw[f] === undefined);
  let generatedKeys: GeneratedKey[] = [];
  if (missing.length > 0) {
    if (production) {
      const names = missing.map((f) => variableOf(f));
      throw new ConfigError(`NODE_ENV=production needs ${names.join(', ')}; refusing to start without them`);
    }
    const dev = loadDevelopmentKeys(resolve(String(raw.dataDir)), missing);
    Object.assign(raw, dev.values);
    generatedKeys = dev.generated;
  }
  if (production && raw.databaseUrl === undefined) {
    // Without it a production server would quietly keep its directory in a local file.
    throw new ConfigError('NODE_ENV=production needs DATABASE_URL: mysql://user:pass@host:3306/database, or sqlite:///path/to/koobridge.sqlite to choose the embedded SQLite store');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${variableOf(String(i.path[0]))}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const { databaseUrl, ...rest } = parsed.data;
  const sqlite = databaseUrl?.startsWith('sqlite://');
  const config = {
    ...rest,
    databaseUrl: sqlite ? undefined : databaseUrl,
    sqliteFile: sqlite ? resolve(databaseUrl!.slice('sqlite://'.length)) : join(resolve(rest.dataDir), 'koobridge.sqlite'),
    generatedKeys,
  };
  if (production && !/^https:\/\/[^/]/.test(config.publicUrl)) {
    // Links, redirects and the SSO callback are built from it, never from a request's Host header.
    throw new ConfigError('NODE_ENV=production needs PUBLIC_URL, the absolute https:// address the marketplace and browsers reach');
  }
  if (!config.publicUrl && config.port !== 0) config.publicUrl = defaultPublicUrl(config.host, config.port);
  return config;
}

/** Outside production, the server's own address: localhost when listening on every interface. */
export function defaultPublicUrl(host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}`;
}

function variableOf(field: string): string {
  if (field === 'rsaPrivateKeyPem') return 'RSA_PRIVATE_KEY_FILE or RSA_PRIVATE_KEY';
  return Object.entries(ENV).find(([, f]) => f === field)?.[0] ?? field;
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new ConfigError(`RSA_PRIVATE_KEY_FILE: cannot read ${path}: ${why}`);
  }
}

function isStrongRsaKey(pem: string): boolean {
  try {
    const key = createPrivateKey(pem);
    return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 3072;
  } catch {
    return false;
  }
}

/** The production address to register in the seller centre. */
export function productionAddress(config: Config): string {
  return config.publicUrl + config.marketplaceBasePath;
}
