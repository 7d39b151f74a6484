import { createHash, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { validate as validCron } from 'node-cron';
import { sellerCentrePublicKey } from './devKeys.js';

/**
 * Every setting, declared once: the environment variable, the config field (the key below), what it
 * accepts, its default and what it means. The config schema, the variable names, the defaults and
 * the README's Configuration table (`npm run docs:config`) are all derived from this list.
 */

/** A check and the same limits in words, made together so the README cannot leave a limit out. */
interface Kind<S extends z.ZodType> {
  schema: S;
  accepts: string;
}

export const GROUPS = {
  server: 'Server',
  store: 'Store',
  keys: 'Keys',
  marketplace: 'Marketplace calls',
  sso: 'Single sign-on',
  events: 'Events and webhooks',
  admin: 'Admin console',
} as const;

export interface Setting<S extends z.ZodType = z.ZodType> extends Kind<S> {
  variable: string;
  group: keyof typeof GROUPS;
  /** The value when the variable is unset or empty. Without one the setting is optional or a generated key. */
  default?: z.input<S>;
  /** The default as the README says it, when the value alone would not tell (a computed or empty one). */
  defaultText?: string;
  /** A second variable naming a file to read the value from, used when `variable` is unset. */
  fileVariable?: string;
  /** A key: required in production, made with this (and kept under DATA_DIR) in development. */
  generate?: () => string;
  /** A generated key production may leave unset: what it enables is then off (the admin console). */
  optionalInProduction?: true;
  /** What the start banner shows of a generated key, when not the key itself. */
  display?: (value: string) => string;
  description: string;
}

// Each refusal message says "must be …"; the rest of it is what the README says the setting accepts.
const mustBe = (message: string) => message.replace(/^must be /, '');

const text = (max?: number, min?: number) => {
  let schema = z.string();
  if (min !== undefined) schema = schema.min(min);
  if (max !== undefined) schema = schema.max(max);
  const length = min !== undefined && max !== undefined ? `, ${min} to ${max} characters` : max !== undefined ? `, at most ${max} characters` : '';
  return { schema, accepts: `text${length}` };
};
const pattern = (regex: RegExp, message: string) => ({ schema: z.string().regex(regex, message), accepts: mustBe(message) });
const optional = <S extends z.ZodType>(kind: Kind<S>) => ({ schema: kind.schema.optional(), accepts: kind.accepts });
const checked = (check: (value: string) => boolean, message: string) => ({ schema: z.string().refine(check, message), accepts: mustBe(message) });
const atLeast = (length: number) => {
  const message = `must be at least ${length} characters`;
  return { schema: z.string().min(length, message), accepts: mustBe(message) };
};
/** One key of DATA_ENCRYPTION_KEY's ring: its id (recorded in every value it seals) and its 32 bytes. */
export interface DataKey {
  id: string;
  key: Buffer;
}

/** A key's id when the ring does not name it: a short hash, so the same key always gets the same id. */
export const dataKeyId = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);

/**
 * The data keys, newest first: "KEY" or "ID:KEY" each, comma-separated; KEY is 32 bytes in base64.
 * Ids are letters, digits and '-' only, so a sealed value's prefix can be matched with LIKE as it is.
 */
const keyRing = () => {
  const message = 'must be one or more 32-byte base64 keys, comma-separated, newest first, each optionally named `id:key` (id: 1-32 letters, digits or -)';
  const schema = z.string().transform((text, ctx): DataKey[] => {
    const entries = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
    const ring: DataKey[] = [];
    entries.forEach((entry, i) => {
      const named = /^([A-Za-z0-9-]{1,32}):(.*)$/.exec(entry);
      const key = Buffer.from(named ? named[2]! : entry, 'base64');
      // Never the key itself in a message: only its place in the list.
      if (key.length !== 32) return ctx.addIssue({ code: 'custom', message: `key ${i + 1} of ${entries.length}: ${message}` });
      ring.push({ id: named ? named[1]! : dataKeyId(key), key });
    });
    if (entries.length === 0) ctx.addIssue({ code: 'custom', message });
    const ids = ring.map((k) => k.id.toLowerCase());
    // MySQL compares text without regard to case: ids differing only in case would be one id there.
    if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', message: 'must not list the same key, or the same id, twice' });
    return ring;
  });
  return { schema, accepts: mustBe(message) };
};

/** Several tokens valid at once, comma-separated, so the merchant's application can switch without downtime. */
const tokenList = (length: number) => {
  const message = `must be one or more tokens, comma-separated, each at least ${length} characters`;
  const schema = z.string().transform((text, ctx) => {
    const tokens = text.split(',').map((t) => t.trim());
    if (tokens.some((t) => t.length < length)) ctx.addIssue({ code: 'custom', message });
    return tokens;
  });
  return { schema, accepts: mustBe(message) };
};

const positive = { schema: z.coerce.number().int().positive(), accepts: 'a whole number, at least 1' };
/** A whole number from `min` (to `max`); `why` says where a maximum comes from. */
const integer = (min: number, max?: number, why?: string) => {
  const floor = z.coerce.number().int().min(min);
  return {
    schema: max === undefined ? floor : floor.max(max, why && `at most ${max} (${why})`),
    accepts: max === undefined ? `a whole number, at least ${min}` : `a whole number from ${min} to ${max}${why ? ` (${why})` : ''}`,
  };
};
/** A number with a fraction allowed: above 0, or from `min` when one is given. */
const decimal = (max: number, min?: number) => ({
  schema: (min === undefined ? z.coerce.number().positive() : z.coerce.number().min(min)).max(max),
  accepts: min === undefined ? `a number above 0, at most ${max}` : `a number from ${min} to ${max}`,
});

const flag = {
  schema: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]),
  accepts: '`true` or `false`',
};
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => ({
  schema: z.enum(values),
  accepts: `one of ${values.map((v) => `\`${v}\``).join(', ')}`,
});
const httpUrl = z.url({ protocol: /^https?$/ });

/** queryInstance's appInfo URLs: absolute, or a path resolved against PUBLIC_URL; {instanceId} is filled in. */
const urlTemplate = () => {
  const message = 'must be an http(s) URL or a path starting with /';
  return { schema: z.string().max(400).regex(/^(https?:\/\/|\/)/, message), accepts: `${mustBe(message)}, at most 400 characters` };
};

/**
 * When a full department sync is held instead of applied: it would remove more than `count` of the
 * tenant's live departments and, with `percent`, more than that share of them. Null: never held.
 */
export type DeleteLimit = { percent: number | null; count: number; text: string } | null;

/** The floor under a percentage limit: a small tenant may lose a few departments in one sync. */
const DELETE_LIMIT_FLOOR = 10;

/** "20%" (and more than 10), "20%,50" (and more than 50), "500" (more than 500 departments), or "0" (off). */
const deleteLimit = () => {
  const message = 'must be a percentage like 20% (optionally with a floor, 20%,50), a number of departments, or 0 (off)';
  const schema = z.union([z.number(), z.string()]).transform((v, ctx): DeleteLimit => {
    const text = String(v).trim();
    const share = /^(\d{1,3}(?:\.\d+)?)%(?:\s*,\s*(\d{1,9}))?$/.exec(text);
    if (share && Number(share[1]) <= 100) return { percent: Number(share[1]), count: share[2] === undefined ? DELETE_LIMIT_FLOOR : Number(share[2]), text };
    if (/^\d{1,9}$/.test(text)) return Number(text) === 0 ? null : { percent: null, count: Number(text), text };
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  });
  return { schema, accepts: `${mustBe(message)}; a share at most 100%, numbers of up to 9 digits` };
};

function isStrongRsaKey(pem: string): boolean {
  try {
    const key = createPrivateKey(pem);
    return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 3072;
  } catch {
    return false;
  }
}

/** A PEM private key; `\n` escapes (a `.env` file holds a key on one line so) are read as line breaks. */
const pemKey = () => {
  const message = 'must be a PKCS#8 PEM RSA private key of at least 3072 bits';
  return {
    schema: z.string().transform((pem) => (pem.includes('\\n') ? pem.replaceAll('\\n', '\n') : pem)).refine(isStrongRsaKey, message),
    accepts: `${mustBe(message)} (line breaks, or \`\\n\` escapes as \`.env\` files hold it)`,
  };
};

const hex = (bytes: number) => () => randomBytes(bytes).toString('hex');

/** A Standard Webhooks secret: `whsec_` and 24 to 64 bytes in base64 (the size range the specification gives). */
export function isWebhookSecret(secret: string): boolean {
  const m = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret);
  if (!m || m[1]!.length % 4 !== 0) return false;
  const bytes = Buffer.from(m[1]!, 'base64').length;
  return bytes >= 24 && bytes <= 64;
}

/** Seconds between attempts, comma-separated: "5,300,1800" retries three times. */
const retrySchedule = () => {
  const message = 'must be a comma-separated list of seconds (numbers from 0 to 86400), at most 20';
  const schema = z.string().transform((v, ctx): number[] => {
    const parts = v.split(',').map((p) => p.trim());
    const seconds = parts.map(Number);
    if (parts.length <= 20 && parts.every((p) => /^\d+(\.\d+)?$/.test(p)) && seconds.every((n) => n <= 86_400)) return seconds;
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  });
  return { schema, accepts: mustBe(message) };
};

/** Keeps each setting's own schema type, so the Config type follows from the declaration. */
const setting = <S extends z.ZodType>(s: Setting<S>) => s;

export const SETTINGS = {
  nodeEnv: setting({
    variable: 'NODE_ENV', group: 'server', ...text(64, 1), default: 'development',
    description: '`development` and `test` generate missing keys (kept under `DATA_DIR`); any other value (`production`, `staging`, `prod`…) is production: it refuses to start without the keys below, `DATABASE_URL` or `PUBLIC_URL`, and names the missing ones',
  }),
  port: setting({ variable: 'PORT', group: 'server', ...integer(0, 65535), default: 3000, description: 'the port to listen on (0: any free one)' }),
  host: setting({ variable: 'HOST', group: 'server', ...text(255, 1), default: '0.0.0.0', description: 'the address to listen on' }),
  // Filled in by loadConfig (or, for an ephemeral port, by startServer): never from a request.
  publicUrl: setting({
    variable: 'PUBLIC_URL', group: 'server',
    schema: z.union([z.literal(''), httpUrl.transform((u) => u.replace(/\/+$/, ''))]),
    accepts: 'an http(s) URL (a trailing `/` is dropped)',
    default: '', defaultText: '`http://localhost:PORT` (required in production: an absolute `https://` URL)',
    description: 'the public address; the production address to register is `PUBLIC_URL` + base path, and the only origin links and redirects are built from',
  }),
  trustProxy: setting({
    variable: 'TRUST_PROXY', group: 'server', ...flag, default: false,
    description: '`true` behind a reverse proxy: `X-Forwarded-Proto`/`-Host`/`-For` are believed (the source address of counted refusals comes from `X-Forwarded-For` then)',
  }),
  dataDir: setting({
    variable: 'DATA_DIR', group: 'server', ...text(4096, 1), default: 'data',
    description: 'SQLite file and development keys; created mode 0700, its files 0600 (they hold sealed secrets and tokens)',
  }),
  logLevel: setting({
    variable: 'LOG_LEVEL', group: 'server', ...oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), default: 'info',
    description: 'pino JSON logs on stdout; bodies and secrets are never logged',
  }),
  startupWaitSeconds: setting({
    variable: 'STARTUP_WAIT_SECONDS', group: 'server', ...integer(0, 3600), default: 60,
    description: 'how long a start waits, in all, for the database to answer (retried after 0.25 s, doubling to every 5 s) and for another process\'s migrations to finish',
  }),
  // Under the 30 s a container platform typically waits after SIGTERM before it kills the process.
  shutdownTimeoutSeconds: setting({
    variable: 'SHUTDOWN_TIMEOUT_SECONDS', group: 'server', ...decimal(3600), default: 25,
    description: 'after SIGTERM or SIGINT the process exits by then at the latest, whatever is still in flight (under the 30 s a container platform typically waits before SIGKILL)',
  }),

  databaseUrl: setting({
    variable: 'DATABASE_URL', group: 'store',
    ...optional(pattern(/^(mysql2?:\/\/|sqlite:\/\/.)/, 'must be a mysql:// URL, or sqlite:// followed by a file path')),
    defaultText: 'unset = SQLite file `DATA_DIR/koobridge.sqlite` (required in production)',
    description: '`mysql://user:pass@host:3306/db`; or `sqlite://` and a file path to choose the embedded store (`sqlite:///var/lib/koobridge/koobridge.sqlite` is absolute, `sqlite://data/k.sqlite` relative to the working directory)',
  }),
  mysqlPoolMax: setting({ variable: 'MYSQL_POOL_MAX', group: 'store', ...positive, default: 10, description: 'connection pool size' }),
  auditRetentionDays: setting({
    variable: 'AUDIT_RETENTION_DAYS', group: 'store', ...integer(1), default: 180,
    description: 'audit records older than this are deleted (hourly, in batches)',
  }),

  eventRetentionDays: setting({
    variable: 'EVENT_RETENTION_DAYS', group: 'events', ...integer(1), default: 30,
    description: 'events older than this are deleted (hourly, in batches); a cursor older than what is kept is answered 410',
  }),
  webhookUrl: setting({
    variable: 'WEBHOOK_URL', group: 'events',
    schema: httpUrl.max(2048).optional(), accepts: 'an http(s) URL, at most 2048 characters',
    defaultText: 'unset = no endpoint from the environment',
    description: 'one webhook endpoint, receiving every event; set at each start (with `WEBHOOK_SECRET`), more through `/api/v1/webhook-endpoints`. The server fetches it from its own network',
  }),
  webhookSecret: setting({
    variable: 'WEBHOOK_SECRET', group: 'events', ...optional(checked(isWebhookSecret, 'must be whsec_ followed by 24 to 64 bytes, base64-encoded')),
    defaultText: 'unset (required with `WEBHOOK_URL`)',
    description: 'the signing secret of the `WEBHOOK_URL` endpoint (Standard Webhooks); after a change, the previous one also signs for `WEBHOOK_ROTATION_OVERLAP_SECONDS`',
  }),
  webhookTimeoutSeconds: setting({
    variable: 'WEBHOOK_TIMEOUT_SECONDS', group: 'events', ...decimal(300), default: 15,
    description: 'a delivery not answered within this is a failed attempt (retried)',
  }),
  webhookRetrySchedule: setting({
    variable: 'WEBHOOK_RETRY_SCHEDULE', group: 'events', ...retrySchedule(), default: '5,300,1800,7200,18000,36000,36000',
    description: 'seconds to wait before each retry of a failed delivery; after the last retry fails it is `failed` (a manual retry starts again)',
  }),
  webhookConcurrency: setting({
    variable: 'WEBHOOK_CONCURRENCY', group: 'events', ...integer(1, 64), default: 4,
    description: 'deliveries in flight at once per endpoint, across every replica (sent in event order)',
  }),
  webhookDisableAfterDays: setting({
    variable: 'WEBHOOK_DISABLE_AFTER_DAYS', group: 'events', ...integer(1, 365), default: 5,
    description: 'an endpoint whose deliveries fail this long with no success is disabled (an answer `410 Gone` disables it at once)',
  }),
  webhookRotationOverlapSeconds: setting({
    variable: 'WEBHOOK_ROTATION_OVERLAP_SECONDS', group: 'events', ...integer(0, 604_800), default: 86_400,
    description: 'after a secret rotation, the old secret also signs deliveries for this long (two signatures)',
  }),

  kitAccessKey: setting({
    variable: 'KIT_ACCESS_KEY', group: 'keys', ...atLeast(16), generate: hex(24),
    description: 'the key bound to 联营SaaS同步接口 (the kit interfaces) in 生产地址管理',
  }),
  kitAccessKeyPrevious: setting({
    variable: 'KIT_ACCESS_KEY_PREVIOUS', group: 'keys', ...optional(atLeast(16)),
    description: 'while the kit key is changed: the key it replaces, still accepted (the audit record says which matched); remove it once the seller centre has the new key and its dial-tests pass',
  }),
  basicAccessKey: setting({
    variable: 'BASIC_ACCESS_KEY', group: 'keys', ...atLeast(16), generate: hex(24),
    description: 'the key bound to 基础接口 (the basic interfaces) in 生产地址管理',
  }),
  basicAccessKeyPrevious: setting({
    variable: 'BASIC_ACCESS_KEY_PREVIOUS', group: 'keys', ...optional(atLeast(16)),
    description: 'as `KIT_ACCESS_KEY_PREVIOUS`, for the basic interfaces',
  }),
  rsaPrivateKeyPem: setting({
    variable: 'RSA_PRIVATE_KEY', fileVariable: 'RSA_PRIVATE_KEY_FILE', group: 'keys',
    ...pemKey(),
    generate: () => generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    display: (pem) => `public key for the seller centre: ${sellerCentrePublicKey(pem)}`,
    description: 'the file holding the key, or the key itself; its public key goes into the app credential (printed at start as base64 X.509, no PEM lines)',
  }),
  rsaPrivateKeyPemPrevious: setting({
    variable: 'RSA_PRIVATE_KEY_PREVIOUS', fileVariable: 'RSA_PRIVATE_KEY_PREVIOUS_FILE', group: 'keys',
    ...optional(pemKey()),
    description: 'while the app credential\'s public key is changed: the private key it replaces, still used for a clientSecret the current key does not open (the audit record says which opened it)',
  }),
  dataEncryptionKey: setting({
    variable: 'DATA_ENCRYPTION_KEY', group: 'keys',
    ...keyRing(),
    generate: () => randomBytes(32).toString('base64'),
    description: 'AES-256-GCM for secrets at rest: the first key seals, every key listed opens (see "Rotating keys"); a key\'s id is the name given, else the first 8 hex digits of its SHA-256',
  }),
  apiToken: setting({
    variable: 'API_TOKEN', group: 'keys', ...tokenList(24), generate: () => randomBytes(32).toString('base64url'),
    description: 'bearer token of the directory API, `/metrics` and the other `/api/v1` addresses; several are accepted at once while the application switches',
  }),

  adminPassword: setting({
    variable: 'ADMIN_PASSWORD', group: 'admin', ...optional(atLeast(12)), generate: () => randomBytes(18).toString('base64url'), optionalInProduction: true,
    description: 'the password of the admin console at `/admin`; in production the console is off while it is unset',
  }),

  marketplaceBasePath: setting({
    variable: 'MARKETPLACE_BASE_PATH', group: 'marketplace',
    ...pattern(/^(\/[A-Za-z0-9._~-]+)*$/, 'must be empty or like /koogallery (no trailing slash)'), default: '/koogallery',
    description: 'path of the production address',
  }),
  signatureWindowSeconds: setting({ variable: 'SIGNATURE_WINDOW_SECONDS', group: 'marketplace', ...positive, default: 60, description: 'timestamp tolerance' }),
  marketplaceCallTimeoutSeconds: setting({
    variable: 'MARKETPLACE_CALL_TIMEOUT_SECONDS', group: 'marketplace', ...decimal(19), default: 15,
    description: 'a marketplace call the database does not answer within this is answered `000005` (retry); its work rolls back rather than commit late (the marketplace gives up after about 20 s). On SQLite a file locked by another process is waited for synchronously up to its busy timeout (5 s), then answered the same',
  }),
  maxFutureSkewSeconds: setting({
    variable: 'MAX_FUTURE_SKEW_SECONDS', group: 'marketplace', ...integer(0, 86_400), default: 300,
    description: 'how far a kit call\'s `timeStamp` (or `currentSyncTime`) may lie after its `x-timestamp`',
  }),
  marketplaceRetryHours: setting({
    variable: 'MARKETPLACE_RETRY_HOURS', group: 'marketplace', ...decimal(168, 0), default: 3,
    description: 'how long the marketplace may go on retrying a failed lifecycle call (spec §7.7: up to 3 h); a FREEZE within this long after an UNFREEZE or a renewal is taken for a late retry (0 turns the rule off)',
  }),
  acceptCanonicalPayload: setting({
    variable: 'ACCEPT_CANONICAL_PAYLOAD', group: 'marketplace', ...flag, default: true,
    description: 'also accept signatures over the Java demo\'s re-serialised body',
  }),
  bodyLimitBytes: setting({
    variable: 'BODY_LIMIT_BYTES', group: 'marketplace', ...positive, default: 33_554_432,
    description: 'largest accepted body (a 100,000-department full sync is about 8 MB)',
  }),
  largeBodyBytes: setting({
    variable: 'LARGE_BODY_BYTES', group: 'marketplace', ...positive, default: 1_048_576,
    description: 'bodies above this size (or chunked) are read and handled `LARGE_BODY_CONCURRENCY` at a time',
  }),
  largeBodyConcurrency: setting({
    variable: 'LARGE_BODY_CONCURRENCY', group: 'marketplace', ...integer(1, 64), default: 2,
    description: 'how many large bodies are read and handled at once',
  }),
  canonicalPayloadMaxBytes: setting({
    variable: 'CANONICAL_PAYLOAD_MAX_BYTES', group: 'marketplace', ...integer(0), default: 16_777_216,
    description: 'largest body whose signature is also tried over the Java demo\'s re-serialised form',
  }),
  orgSyncDeleteLimit: setting({
    variable: 'ORG_SYNC_DELETE_LIMIT', group: 'marketplace', ...deleteLimit(), default: '20%',
    description: 'when a full department sync is held instead of applied: `20%` = it would remove more than 20% of the tenant\'s live departments and more than 10; `20%,50` = more than 20% and more than 50; `500` = more than 500 departments; `0` = never held (the guard off)',
  }),
  frontEndUrl: setting({
    variable: 'FRONT_END_URL', group: 'marketplace', ...urlTemplate(), default: '/sso/login?instanceId={instanceId}',
    description: 'queryInstance\'s appInfo.frontEndUrl (a path is resolved against `PUBLIC_URL`; `{instanceId}` is filled in)',
  }),
  adminUrl: setting({
    variable: 'ADMIN_URL', group: 'marketplace', ...urlTemplate(), default: '/sso/login?instanceId={instanceId}',
    description: 'queryInstance\'s appInfo.adminUrl, read like `FRONT_END_URL`',
  }),
  provisioning: setting({
    variable: 'PROVISIONING', group: 'marketplace', ...oneOf(['sync', 'async']), default: 'sync',
    description: 'async: newInstance answers `000004` and the instance stays `provisioning` until the merchant\'s application reports it provisioned (or failed) through the instance API; sync: newInstance answers `000000` at once',
  }),
  provisioningTimeoutMinutes: setting({
    variable: 'PROVISIONING_TIMEOUT_MINUTES', group: 'marketplace', ...positive, default: 60,
    description: 'an instance still `provisioning` after this long is shown overdue in the instance API',
  }),
  appInfoPassword: setting({
    variable: 'APPINFO_PASSWORD', group: 'marketplace', ...oneOf(['plain', 'encrypted', 'omit']), default: 'plain',
    description: 'how queryInstance sends the `userName` and `password` the merchant\'s application reported: plain as the V2 table describes them (spec §4.3); encrypted: the V1 form, AES-128-CBC keyed from `BASIC_ACCESS_KEY` with `encryptType` `2`; omit: the password is not sent',
  }),
  // Escaped as \uXXXX in the answer (spec §7.2): 160 CJK characters stay within String(1024).
  instanceMemo: setting({
    variable: 'INSTANCE_MEMO', group: 'marketplace', ...text(160), default: '请使用企业账号单点登录 / Sign in with your enterprise account',
    defaultText: 'a short bilingual sign-in hint', description: 'queryInstance\'s appInfo.memo',
  }),

  appOrigin: setting({
    variable: 'APP_ORIGIN', group: 'sso',
    schema: z.union([z.literal(''), httpUrl.transform((u) => new URL(u).origin)]),
    accepts: 'an http(s) URL (its origin is kept)',
    default: '', defaultText: 'empty = `PUBLIC_URL`\'s origin',
    description: 'the merchant application\'s origin: `returnTo` must be on it',
  }),
  ssoDefaultReturnTo: setting({
    variable: 'SSO_DEFAULT_RETURN_TO', group: 'sso', ...text(2048), default: '',
    defaultText: 'empty = the application\'s home (`APP_ORIGIN/`), or koobridge\'s `/sso/account` page when `APP_ORIGIN` is unset',
    description: 'where a login without `returnTo` lands',
  }),
  ssoLogoutLanding: setting({
    variable: 'SSO_LOGOUT_LANDING', group: 'sso', ...text(2048), default: '',
    defaultText: 'empty = the application\'s home, or koobridge\'s `/sso/signed-out` page when `APP_ORIGIN` is unset',
    description: '`redirect_url` given to the IdP logout',
  }),
  ssoAppId: setting({
    variable: 'SSO_APP_ID', group: 'sso', ...text(64), default: '', defaultText: 'empty',
    description: 'the app a marketplace-initiated login is for, when a tenant has several',
  }),
  ssoScope: setting({ variable: 'SSO_SCOPE', group: 'sso', ...text(255, 1), default: 'get_user_info', description: 'scope asked at the authorize endpoint' }),
  ssoPkce: setting({
    variable: 'SSO_PKCE', group: 'sso', ...flag, default: true,
    description: 'send a PKCE S256 challenge on app-initiated logins (an IdP without PKCE ignores it, RFC 6749 §3.1)',
  }),
  ssoAllowHttp: setting({ variable: 'SSO_ALLOW_HTTP', group: 'sso', ...flag, default: false, description: 'allow `http://` tenant domains' }),
  ssoCookieName: setting({
    variable: 'SSO_COOKIE_NAME', group: 'sso', ...pattern(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . -'),
    default: 'koobridge_session', description: 'session cookie',
  }),
  ssoSessionIdleMinutes: setting({
    variable: 'SSO_SESSION_IDLE_MINUTES', group: 'sso', ...integer(1), default: 480,
    description: 'a session unused this long ends',
  }),
  ssoSessionAbsoluteHours: setting({
    variable: 'SSO_SESSION_ABSOLUTE_HOURS', group: 'sso', ...integer(1, 720, "30 days, the refresh token's lifetime"), default: 168,
    description: 'a session ends this long after its sign-in at the latest, however much it is used',
  }),
  ssoRenewMarginSeconds: setting({
    variable: 'SSO_RENEW_MARGIN_SECONDS', group: 'sso', ...integer(10, 3600), default: 300,
    description: 'renew this long before the access token expires',
  }),
  ssoRenewSchedule: setting({
    variable: 'SSO_RENEW_SCHEDULE', group: 'sso',
    ...checked(validCron, 'must be a cron expression'),
    default: '* * * * *', defaultText: 'every minute (`* * * * *`)',
    description: 'when the renewal job runs',
  }),
  ssoRenewConcurrency: setting({
    variable: 'SSO_RENEW_CONCURRENCY', group: 'sso', ...integer(1, 256), default: 8,
    description: 'sessions the renewal job renews at once',
  }),
  ssoRenewActiveMinutes: setting({
    variable: 'SSO_RENEW_ACTIVE_MINUTES', group: 'sso', ...integer(1), default: 30,
    description: 'the renewal job renews sessions used within this long',
  }),
  ssoHttpTimeoutSeconds: setting({ variable: 'SSO_HTTP_TIMEOUT_SECONDS', group: 'sso', ...decimal(120), default: 10, description: 'IdP call timeout' }),
  ssoIdpBackoffSeconds: setting({
    variable: 'SSO_IDP_BACKOFF_SECONDS', group: 'sso', ...decimal(3600), default: 15,
    description: 'first pause of a tenant\'s renewals after its IdP failed to answer (doubling, at most 20×)',
  }),
  ssoLoginStateTtlSeconds: setting({
    variable: 'SSO_LOGIN_STATE_TTL_SECONDS', group: 'sso', ...integer(30, 3600), default: 600,
    description: 'life of a login state (from the redirect to the IdP until the callback)',
  }),
};
