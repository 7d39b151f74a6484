import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { loadDevelopmentKeys, type DevelopmentKey, type GeneratedKey } from './devKeys.js';
import { SETTINGS, type Setting } from './settings.js';

export type { DeleteLimit } from './settings.js';

type Field = keyof typeof SETTINGS;
const FIELDS = Object.keys(SETTINGS) as Field[];

const schema = z.object(Object.fromEntries(FIELDS.map((f) => [f, SETTINGS[f].schema])) as { [F in Field]: (typeof SETTINGS)[F]['schema'] });

export type Config = z.infer<typeof schema> & {
  /** Keys generated for development on this start (printed once so the seller centre can be set up). */
  generatedKeys: GeneratedKey[];
  /** The embedded store's file when DATABASE_URL is not MySQL (sqlite://PATH, else DATA_DIR/koobridge.sqlite). */
  sqliteFile: string;
};

type Env = Record<string, string | undefined>;

/** Settings seen through the common interface, where the optional parts are all visible. */
const declared = (field: Field): Setting => SETTINGS[field];

/** Each setting's value when its variable is unset. */
const DEFAULTS = Object.fromEntries(FIELDS.flatMap((f) => (declared(f).default === undefined ? [] : [[f, declared(f).default]])));

const DEVELOPMENT_KEYS: DevelopmentKey[] = FIELDS.flatMap((field) => {
  const s = declared(field);
  return s.generate ? [{ field, variable: s.variable, bannerVariable: s.fileVariable ?? s.variable, generate: s.generate, display: s.display }] : [];
});

/** A start that cannot go on, said in one line for the operator (no stack trace). */
export class StartupError extends Error {}

export class ConfigError extends StartupError {}

/** A failed start on stderr: a StartupError in its one line, anything unforeseen with its stack. */
export function reportStartupFailure(err: unknown): void {
  console.error(err instanceof StartupError ? `koobridge: ${err.message}` : err);
}

/**
 * Reads the defaults, then the environment. Outside production, missing keys are generated once
 * and kept under dataDir; in production a missing key stops the start with its variable named.
 */
export function loadConfig(env: Env = process.env): Config {
  const raw: Record<string, unknown> = { ...DEFAULTS };
  for (const field of FIELDS) {
    const s = declared(field);
    const value = env[s.variable];
    const file = s.fileVariable && env[s.fileVariable];
    if (value !== undefined && value !== '') raw[field] = value;
    else if (file) raw[field] = readKeyFile(s.fileVariable!, file);
  }
  const production = raw.nodeEnv === 'production';
  const missing = DEVELOPMENT_KEYS.filter((k) => raw[k.field] === undefined);
  let generatedKeys: GeneratedKey[] = [];
  if (missing.length > 0) {
    if (production) {
      const names = missing.map((k) => variableOf(k.field));
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
  if ((parsed.data.webhookUrl === undefined) !== (parsed.data.webhookSecret === undefined)) {
    // An endpoint without a secret could not be verified; a secret without an endpoint is a forgotten URL.
    throw new ConfigError('WEBHOOK_URL and WEBHOOK_SECRET go together: set both (the secret as whsec_ and base64), or neither');
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

/** How an error names a setting: its variable, or both when a file may hold the value. */
function variableOf(field: string): string {
  if (!(field in SETTINGS)) return field;
  const s = declared(field as Field);
  return s.fileVariable ? `${s.fileVariable} or ${s.variable}` : s.variable;
}

function readKeyFile(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new ConfigError(`${variable}: cannot read ${path}: ${why}`);
  }
}

/** The production address to register in the seller centre. */
export function productionAddress(config: Config): string {
  return config.publicUrl + config.marketplaceBasePath;
}
