import { constants, createPublicKey, publicEncrypt, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { defaultPublicUrl, isDevelopment } from '../config/index.js';
import { SETTINGS } from '../config/settings.js';
import type { RegisterCommand } from './commands.js';
import { FIXTURE, selectCases } from './debugCases.js';
import { simulate, type CaseResult } from './simulateRun.js';
import { paintFor, progress, table, type Paint } from './terminal.js';

type Env = NodeJS.ProcessEnv;

interface SimulateOptions {
  url?: string;
  kitKey?: string;
  basicKey?: string;
  publicKey?: string;
  cases: string;
  instanceId?: string;
  tenantId: string;
  clientSecret: string;
  oaepHash: 'sha256' | 'sha1';
  rounds: number;
  timeout: number;
  negative?: boolean;
  json?: boolean;
}

/** A refusal of the command line itself (exit 2), said in one line. */
class UsageError extends Error {}

const positiveNumber = (integer: boolean) => (v: string) => {
  const n = Number(v);
  if (!(n > 0) || (integer && !Number.isInteger(n))) throw new InvalidArgumentError(`must be ${integer ? 'a whole number' : 'a number'} above 0, got ${v}`);
  return n;
};

export const registerSimulate: RegisterCommand = (program: Command) => {
  program
    .command('simulate')
    .description("send the seller centre's debug cases (调测用例) to a production address and judge the answers as the seller centre does")
    .option('--url <url>', 'the production address (default: PUBLIC_URL + MARKETPLACE_BASE_PATH, else http://localhost:PORT/koogallery)')
    .option('--kit-key <key>', 'the access key bound to 联营SaaS同步接口 (default: KIT_ACCESS_KEY)')
    .option('--basic-key <key>', 'the access key bound to 基础接口 (default: BASIC_ACCESS_KEY)')
    .option('--public-key <key>', 'public key for applicationSync.clientSecret: base64 X.509 as the seller centre takes it, or a PEM file (default: from RSA_PRIVATE_KEY(_FILE))')
    .option('--cases <cases>', 'all, lifecycle, kit, or case names separated by commas (a call name selects all its variants)', 'all')
    .option('--instance-id <id>', 'the instance the cases after newInstance name (default: the one newInstance answers)')
    .option('--tenant-id <id>', 'the tenant the kit cases name', FIXTURE.tenantId)
    .option('--client-secret <text>', 'the clientSecret typed on the debug page, sent RSA-OAEP-encrypted', FIXTURE.clientSecret)
    .addOption(new Option('--oaep-hash <hash>', 'RSA-OAEP hash of the clientSecret').choices(['sha256', 'sha1']).default('sha256'))
    .option('--rounds <n>', 'how many times the cases are sent, as dial-testing replays them', positiveNumber(true), 2)
    .option('--timeout <seconds>', 'the answer limit', positiveNumber(false), 20)
    .option('--negative', 'also send what the marketplace never sends (wrong key, stale timestamp, replayed nonce, malformed body) and check each is refused')
    .option('--json', 'print the results as JSON')
    .addHelpText('after', '\nExit code 0 only when every case passed. Keys also come from the variables the server reads, or in development from DATA_DIR/dev-keys.json.')
    .action(async (o: SimulateOptions) => {
      try {
        process.exitCode = await run(o, process.env);
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        console.error(`koobridge simulate: ${err.message}`);
        process.exitCode = 2;
      }
    });
};

async function run(o: SimulateOptions, env: Env): Promise<number> {
  let cases;
  try {
    cases = selectCases(o.cases);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const url = o.url ?? productionAddressFrom(env);
  if (!URL.canParse(url)) throw new UsageError(`--url: not a URL: ${url}`);
  const kitKey = o.kitKey ?? configured(env, 'KIT_ACCESS_KEY');
  const basicKey = o.basicKey ?? configured(env, 'BASIC_ACCESS_KEY');
  for (const [channel, key, option, variable] of [['kit', kitKey, '--kit-key', 'KIT_ACCESS_KEY'], ['basic', basicKey, '--basic-key', 'BASIC_ACCESS_KEY']] as const) {
    if (!key && cases.some((c) => c.channel === channel)) throw new UsageError(`the ${channel === 'kit' ? 'kit' : 'lifecycle'} cases need ${option} or ${variable}`);
  }
  let clientSecret = '';
  if (cases.some((c) => c.call === 'applicationSync')) {
    const publicKey = o.publicKey !== undefined ? readPublicKey(o.publicKey) : publicKeyFromEnvironment(env);
    if (!publicKey) throw new UsageError('applicationSync needs --public-key (or RSA_PRIVATE_KEY / RSA_PRIVATE_KEY_FILE) to encrypt its clientSecret');
    clientSecret = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: o.oaepHash }, Buffer.from(o.clientSecret)).toString('base64');
  }
  const shown = progress();
  const results = await simulate({
    target: { url, kitKey, basicKey, limitSeconds: o.timeout },
    cases,
    rounds: o.rounds,
    instanceId: o.instanceId,
    tenantId: o.tenantId,
    clientSecret,
    negative: Boolean(o.negative),
    onProgress: shown.update,
  }).finally(shown.done);
  const passed = results.filter((r) => r.passed).length;
  const failed = results.length - passed;
  if (o.json) console.log(JSON.stringify({ url, rounds: o.rounds, limitSeconds: o.timeout, passed, failed, results }, null, 2));
  else console.log(report(url, o, results, paintFor()));
  return failed === 0 ? 0 : 1;
}

/** The table, then each failure in the seller centre's words with what it means and what to do. */
function report(url: string, o: SimulateOptions, results: CaseResult[], paint: Paint): string {
  const verdict = (r: CaseResult) => {
    if (r.passed) return paint.green('pass');
    const first = r.failures[0]!;
    return `${paint.red('FAIL')} ${first.sellerCentre ?? first.check}`;
  };
  const rows = results.map((r) => [r.case, r.round === null ? 'neg' : String(r.round), r.status === null ? '-' : String(r.status), r.resultCode ?? '-', String(r.ms), verdict(r)]);
  const lines = [`simulate ${url}: ${o.rounds} round(s), answer limit ${o.timeout} s${o.negative ? ', with negative cases' : ''}`, '', table(['case', 'round', 'HTTP', 'resultCode', 'ms', 'verdict'], rows, paint)];
  const failing = results.filter((r) => !r.passed);
  if (failing.length > 0) {
    lines.push('', paint.bold('Failures'));
    for (const r of failing) {
      for (const f of r.failures) {
        lines.push(`  ${r.case}${r.round === null ? ' (negative)' : `, round ${r.round}`}: ${paint.red(f.sellerCentre ?? f.check)}`, `    ${f.explanation}`, `    ${paint.dim('fix:')} ${f.fix}`);
      }
    }
  }
  const passed = results.length - failing.length;
  lines.push('', `${paint.green(`${passed} passed`)}, ${failing.length ? paint.red(`${failing.length} failed`) : '0 failed'}`);
  return lines.join('\n');
}

/** Where the server of this environment answers the marketplace. */
function productionAddressFrom(env: Env): string {
  const origin = env.PUBLIC_URL?.replace(/\/+$/, '') || defaultPublicUrl(env.HOST ?? SETTINGS.host.default!, Number(env.PORT ?? SETTINGS.port.default));
  return origin + (env.MARKETPLACE_BASE_PATH ?? SETTINGS.marketplaceBasePath.default);
}

/**
 * A key as the server of this environment would have it: its variable, or in development the
 * DATA_DIR/dev-keys.json the server generated (read only: simulate never makes keys).
 */
function configured(env: Env, variable: string): string | undefined {
  if (env[variable]) return env[variable];
  if (!isDevelopment(env.NODE_ENV ?? SETTINGS.nodeEnv.default!)) return undefined;
  const file = join(env.DATA_DIR ?? SETTINGS.dataDir.default!, 'dev-keys.json');
  if (!existsSync(file)) return undefined;
  const value = (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)[variable];
  return typeof value === 'string' ? value : undefined;
}

function publicKeyFromEnvironment(env: Env): KeyObject | undefined {
  const file = env.RSA_PRIVATE_KEY_FILE;
  const pem = file ? readFileSync(file, 'utf8') : configured(env, 'RSA_PRIVATE_KEY');
  return pem ? createPublicKey(pem.replaceAll('\\n', '\n')) : undefined;
}

/** base64 X.509 SubjectPublicKeyInfo (the seller centre's form), or a file holding a PEM key (public, or a private one). */
function readPublicKey(given: string): KeyObject {
  try {
    const text = existsSync(given) ? readFileSync(given, 'utf8') : given;
    if (text.includes('-----BEGIN')) return createPublicKey(text);
    return createPublicKey({ key: Buffer.from(text.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new UsageError('--public-key: neither a base64 X.509 public key nor a file holding a PEM key');
  }
}
