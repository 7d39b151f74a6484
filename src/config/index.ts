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

/**
 * An empty variable is an empty value where the setting is text that may be empty
 * (`MARKETPLACE_BASE_PATH=`, `INSTANCE_MEMO=`); for any other (a number, a flag, a key) it is unset.
 */
const takesEmpty = (s: Setting) => typeof s.default === 'string' && s.schema.safeParse('').success;

/**
 * Only `development` and `test` make keys of their own; any other NODE_ENV (staging, prod…) is run
 * as production, so a misspelt value cannot start a public server on generated keys.
 */
export const isDevelopment = (nodeEnv: string) => nodeEnv === 'development' || nodeEnv === 'test';

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
    const value = readSetting(env, field);
    if (value !== undefined) raw[field] = value;
  }
  const production = !isDevelopment(String(raw.nodeEnv));
  const missing = DEVELOPMENT_KEYS.filter((k) => raw[k.field] === undefined && !(production && declared(k.field as Field).optionalInProduction));
  let generatedKeys: GeneratedKey[] = [];
  if (missing.length > 0) {
    if (production) {
      const names = missing.map((k) => variableOf(k.field));
      throw new ConfigError(`NODE_ENV=${String(raw.nodeEnv)} runs as production and needs ${names.join(', ')}; refusing to start without them (only development and test generate keys)`);
    }
    const dev = loadDevelopmentKeys(resolve(String(raw.dataDir)), missing);
    Object.assign(raw, dev.values);
    generatedKeys = dev.generated;
  }
  if (production && raw.databaseUrl === undefined) {
    // Without it a production server would quietly keep its directory in a local file.
    throw new ConfigError(`NODE_ENV=${String(raw.nodeEnv)} runs as production and needs DATABASE_URL: mysql://user:pass@host:3306/database, or sqlite:///path/to/koobridge.sqlite to choose the embedded SQLite store`);
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
  const config = { ...rest, ...storeLocation(databaseUrl, rest.dataDir), generatedKeys };
  if (production && !/^https:\/\/[^/]/.test(config.publicUrl)) {
    // Links, redirects and the SSO callback are built from it, never from a request's Host header.
    throw new ConfigError(`NODE_ENV=${config.nodeEnv} runs as production and needs PUBLIC_URL, the absolute https:// address the marketplace and browsers reach`);
  }
  if (!config.publicUrl && config.port !== 0) config.publicUrl = defaultPublicUrl(config.host, config.port);
  return config;
}

/** A setting's text from its variable or the file its file variable names; undefined when unset. */
function readSetting(env: Env, field: Field): string | undefined {
  const s = declared(field);
  const value = env[s.variable];
  const file = s.fileVariable && env[s.fileVariable];
  if (value && file) throw new ConfigError(`${s.variable} and ${s.fileVariable} are both set; set one of them`);
  if (value || (value === '' && takesEmpty(s))) return value;
  if (file) return readKeyFile(s.fileVariable!, file);
  return undefined;
}

export interface SettingProblem {
  variable: string;
  problem: string;
}

/**
 * Every variable that is unreadable, invalid, or unset though production needs it, each on its
 * own: loadConfig stops at the first kind of problem, a configuration check wants them all.
 */
export function settingProblems(env: Env): SettingProblem[] {
  return FIELDS.flatMap((field): SettingProblem[] => {
    const s = declared(field);
    let value: string | undefined;
    try {
      value = readSetting(env, field);
    } catch (err) {
      if (err instanceof ConfigError) return [{ variable: variableOf(field), problem: err.message }];
      throw err;
    }
    if (value === undefined && s.generate && !s.optionalInProduction) return [{ variable: variableOf(field), problem: 'is not set; production needs it' }];
    const parsed = s.schema.safeParse(value ?? s.default);
    return parsed.success ? [] : [{ variable: variableOf(field), problem: parsed.error.issues[0]!.message }];
  });
}

/** The MySQL URL, or (DATABASE_URL sqlite://PATH or unset) the embedded store's file. */
function storeLocation(databaseUrl: string | undefined, dataDir: string): StoreLocation {
  const sqlite = databaseUrl?.startsWith('sqlite://');
  return {
    databaseUrl: sqlite ? undefined : databaseUrl,
    sqliteFile: sqlite ? resolve(databaseUrl!.slice('sqlite://'.length)) : join(resolve(dataDir), 'koobridge.sqlite'),
  };
}

export interface StoreLocation {
  databaseUrl?: string;
  sqliteFile: string;
}

/**
 * Where the store is, from DATABASE_URL and DATA_DIR alone, read as the server reads them: for
 * commands beside the server (the backup) that need neither the keys nor a generated one.
 */
export function loadStoreLocation(env: Env = process.env): StoreLocation {
  const read = <F extends 'databaseUrl' | 'dataDir'>(field: F) => {
    const s = SETTINGS[field];
    const parsed = s.schema.safeParse(readSetting(env, field) ?? DEFAULTS[field]);
    if (!parsed.success) throw new ConfigError(`invalid configuration:\n  ${s.variable}: ${parsed.error.issues[0]!.message}`);
    return parsed.data as z.infer<(typeof SETTINGS)[F]['schema']>;
  };
  return storeLocation(read('databaseUrl'), read('dataDir'));
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
