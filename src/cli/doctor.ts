import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError, isDevelopment, loadConfig, settingProblems, type Config } from '../config/index.js';
import { sellerCentrePublicKey } from '../config/devKeys.js';
import { SETTINGS } from '../config/settings.js';
import { openDb, type Db } from '../store/db.js';
import { pendingMigrations } from '../store/migrate.js';
import { createLogger, describe } from '../log.js';
import type { RegisterCommand } from './commands.js';
import { paintFor, progress, table } from './terminal.js';

type Env = NodeJS.ProcessEnv;

interface DoctorOptions {
  readEnv?: string;
  publicKey?: string;
  timeUrl?: string;
  maxSkew: number;
  json?: boolean;
}

export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

/** How long the database and the time URL get to answer. */
const ANSWER_MS = 10_000;

export const registerDoctor: RegisterCommand = (program: Command) => {
  program
    .command('doctor')
    .description('check a configuration as production would see it: variables, database, RSA key, PUBLIC_URL, clock; and say what to fix')
    .option('--read-env <file>', 'read variables from this env file too (the environment wins, as with node --env-file)')
    .option('--public-key <key>', 'the public key registered in the seller centre (base64 X.509), to compare with the private key')
    .option('--time-url <url>', 'an HTTP(S) address whose Date header to compare the clock with (default: the MySQL server\'s clock)')
    .option('--max-skew <seconds>', 'how far the clock may be off', (v) => {
      const n = Number(v);
      if (!(n > 0)) throw new InvalidArgumentError('must be a number above 0');
      return n;
    }, 5)
    .option('--json', 'print the checks as JSON')
    .addHelpText('after', '\nExit code 0 only when no check failed.')
    .action(async (o: DoctorOptions) => {
      let env: Env = process.env;
      if (o.readEnv) {
        try {
          env = { ...parseEnv(readFileSync(o.readEnv, 'utf8')), ...process.env };
        } catch (err) {
          console.error(`koobridge doctor: --read-env: cannot read ${o.readEnv} (${(err as NodeJS.ErrnoException).code ?? describe(err).message})`);
          process.exitCode = 2;
          return;
        }
      }
      const shown = progress();
      shown.update('checking the configuration…');
      const checks = await doctor(o, env).finally(shown.done);
      const failed = checks.some((c) => c.status === 'fail');
      if (o.json) console.log(JSON.stringify({ ok: !failed, checks }, null, 2));
      else console.log(report(checks));
      process.exitCode = failed ? 1 : 0;
    });
};

async function doctor(o: DoctorOptions, given: Env): Promise<Check[]> {
  const checks: Check[] = [];
  const nodeEnv = given.NODE_ENV || SETTINGS.nodeEnv.default!;
  // Checked as production runs it: nothing generated, every key from the configuration.
  const env: Env = { ...given, NODE_ENV: isDevelopment(nodeEnv) ? 'production' : nodeEnv };
  checks.push(
    isDevelopment(nodeEnv)
      ? { name: 'NODE_ENV', status: 'fail', detail: `${nodeEnv}: the server would generate missing keys and keep them in DATA_DIR`, fix: 'set NODE_ENV=production (checked below as production)' }
      : { name: 'NODE_ENV', status: 'ok', detail: `${nodeEnv}: runs as production` },
  );
  for (const p of settingProblems(env)) checks.push({ name: p.variable, status: 'fail', detail: p.problem, fix: fixFor(p.variable) });
  if (!env.DATABASE_URL) checks.push({ name: 'DATABASE_URL', status: 'fail', detail: 'is not set; production needs it', fix: fixFor('DATABASE_URL') });
  const publicUrl = env.PUBLIC_URL ?? '';
  checks.push(
    /^https:\/\/[^/]/.test(publicUrl) && URL.canParse(publicUrl)
      ? { name: 'PUBLIC_URL', status: 'ok', detail: publicUrl }
      : { name: 'PUBLIC_URL', status: 'fail', detail: publicUrl ? `${publicUrl} is not an absolute https:// URL` : 'is not set', fix: fixFor('PUBLIC_URL') },
  );
  let config: Config | undefined;
  if (!checks.some((c) => c.status === 'fail' && c.name !== 'NODE_ENV')) {
    try {
      config = loadConfig(env);
      checks.push({ name: 'variables', status: 'ok', detail: 'every setting present and valid' });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      checks.push({ name: 'variables', status: 'fail', detail: err.message });
    }
  }
  if (!config) {
    checks.push(...['RSA key', 'database', 'clock'].map((name): Check => ({ name, status: 'skip', detail: 'the variables above must be right first' })));
    return checks;
  }
  checks.push(rsaCheck(config, o.publicKey));
  const db = await databaseChecks(config, checks);
  checks.push(await clockCheck(o, db));
  return checks;
}

const FIXES: Record<string, string> = {
  DATABASE_URL: 'set DATABASE_URL=mysql://user:pass@host:3306/database (or sqlite:///path/koobridge.sqlite for the embedded store)',
  PUBLIC_URL: 'set PUBLIC_URL to the absolute https:// address the marketplace and browsers reach',
  'RSA_PRIVATE_KEY_FILE or RSA_PRIVATE_KEY': 'make a key with `koobridge keygen` and set RSA_PRIVATE_KEY_FILE to its file (and register its public key in the seller centre)',
};

function fixFor(variable: string): string {
  return FIXES[variable] ?? (Object.values(SETTINGS).some((s) => s.variable === variable && 'generate' in s) ? 'make one with `koobridge keygen`' : 'see the Configuration table in the README');
}

function rsaCheck(config: Config, registered: string | undefined): Check {
  const bits = createPrivateKey(config.rsaPrivateKeyPem).asymmetricKeyDetails?.modulusLength;
  const publicKey = sellerCentrePublicKey(config.rsaPrivateKeyPem);
  if (registered !== undefined && registered.replace(/\s+/g, '') !== publicKey) {
    return {
      name: 'RSA key',
      status: 'fail',
      detail: `${bits} bits, but its public key is not the one given: ${publicKey}`,
      fix: 'register this public key in the seller centre\'s app credential, or configure the private key that belongs to the registered one (applicationSync\'s clientSecret would not decrypt)',
    };
  }
  return { name: 'RSA key', status: 'ok', detail: `${bits} bits; public key for the seller centre: ${publicKey}` };
}

const within = <T>(work: Promise<T>, what: string) =>
  Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${ANSWER_MS / 1000} s`)), ANSWER_MS).unref())]);

/** Reachable and migrated; returns the database when it answers MySQL time queries (its clock is worth comparing). */
async function databaseChecks(config: Config, checks: Check[]): Promise<Db | undefined> {
  const where = config.databaseUrl ? `MySQL at ${new URL(config.databaseUrl).host}` : `SQLite file ${config.sqliteFile}`;
  // Opening an SQLite file creates it: the check leaves a missing one to the server's first start.
  if (!config.databaseUrl && !existsSync(config.sqliteFile)) {
    checks.push({ name: 'database', status: 'warn', detail: `${where} does not exist yet`, fix: 'the server creates and migrates it at its first start (or `npm run migrate`)' });
    return undefined;
  }
  // knex's own warnings would land in the output; the check says what went wrong itself.
  const db = openDb({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile, mysqlPoolMax: 1, log: createLogger('silent') });
  try {
    await within(db.raw('select 1'), 'the database');
  } catch (err) {
    await db.destroy();
    checks.push({ name: 'database', status: 'fail', detail: `${where}: ${describe(err).message}`, fix: 'check DATABASE_URL (host, port, user, password, database name) and that the database server runs and lets this host in' });
    return undefined;
  }
  try {
    const pending = await within(pendingMigrations(db), 'the database');
    checks.push(
      pending.length === 0
        ? { name: 'database', status: 'ok', detail: `${where}: reachable, every migration applied` }
        : { name: 'database', status: 'warn', detail: `${where}: reachable, ${pending.length} migration(s) not applied (${pending[0]}…)`, fix: 'the server applies them when it starts, or run `npm run migrate` first' },
    );
  } catch (err) {
    checks.push({ name: 'database', status: 'fail', detail: `${where}: reachable, but its migrations cannot be read: ${describe(err).message}`, fix: 'a newer koobridge may have migrated it: run that version, or restore the schema' });
  }
  if (config.databaseUrl) return db;
  await db.destroy();
  return undefined;
}

/** The clock against an HTTP Date (given URL) or the MySQL server's clock; signatures are refused beyond their window. */
async function clockCheck(o: DoctorOptions, db: Db | undefined): Promise<Check> {
  const fix = 'sync this server\'s clock (NTP: chrony or systemd-timesyncd); marketplace calls are refused when it is off by more than SIGNATURE_WINDOW_SECONDS';
  let source: string;
  let skewMs: number;
  try {
    if (o.timeUrl) {
      source = `Date of ${o.timeUrl}`;
      const before = Date.now();
      const res = await fetch(o.timeUrl, { method: 'HEAD', signal: AbortSignal.timeout(ANSWER_MS) });
      const after = Date.now();
      const date = Date.parse(res.headers.get('date') ?? '');
      if (Number.isNaN(date)) return { name: 'clock', status: 'fail', detail: `${o.timeUrl} answered without a Date header`, fix: 'give --time-url an address that sends one (most web servers do)' };
      // A Date names a whole second: its middle is the best guess of the remote time.
      skewMs = (before + after) / 2 - (date + 500);
    } else if (db) {
      source = "the MySQL server's clock";
      const before = Date.now();
      const [rows] = (await within(db.raw('SELECT UNIX_TIMESTAMP(NOW(3)) * 1000 AS ms'), 'the database')) as [{ ms: unknown }[]];
      skewMs = (before + Date.now()) / 2 - Number(rows[0]!.ms);
    } else {
      return { name: 'clock', status: 'skip', detail: 'nothing to compare with: SQLite shares this machine\'s clock', fix: 'give --time-url https://… (a server whose clock is right)' };
    }
  } catch (err) {
    return { name: 'clock', status: 'fail', detail: `could not read the time: ${describe(err).message}`, fix: 'check --time-url, or the database' };
  } finally {
    await db?.destroy();
  }
  const seconds = Math.round(skewMs / 100) / 10;
  const text = `${Math.abs(seconds)} s ${seconds >= 0 ? 'ahead of' : 'behind'} ${source}`;
  return Math.abs(skewMs) <= o.maxSkew * 1000 ? { name: 'clock', status: 'ok', detail: text } : { name: 'clock', status: 'fail', detail: `${text} (more than ${o.maxSkew} s)`, fix };
}

function report(checks: Check[]): string {
  const paint = paintFor();
  const mark = { ok: paint.green('ok'), warn: paint.yellow('warn'), fail: paint.red('FAIL'), skip: paint.dim('skip') };
  const lines = [table(['check', 'status', 'detail'], checks.map((c) => [c.name, mark[c.status], c.detail]), paint)];
  const todo = checks.filter((c) => c.fix && c.status !== 'ok');
  if (todo.length > 0) lines.push('', paint.bold('What to fix'), ...todo.map((c) => `  ${c.name}: ${c.fix}`));
  const failed = checks.filter((c) => c.status === 'fail').length;
  lines.push('', failed === 0 ? paint.green('no problem found') : paint.red(`${failed} problem(s) to fix`));
  return lines.join('\n');
}
