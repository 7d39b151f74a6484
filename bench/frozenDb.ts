/**
 * `npx tsx bench/frozenDb.ts [--probes N]`: what koobridge answers while MariaDB stops answering.
 * The server reaches MySQL through a TCP link that is frozen (nothing passes, connections stay
 * open, as with a database host that hangs): how long `/readyz` and a signed kit call take to
 * answer then, and how soon `/readyz` is ready again once the link thaws. Prints a table, writes
 * bench/results/frozen-db.json.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchDir, formatTable, writeJson } from './lib.js';
import type { ResultRow } from './types.js';
import { defaultMysqlUrl } from '../test/helpers/database.js';
import { startTestServer } from '../test/helpers/server.js';
import { tcpLink } from '../test/helpers/tcpLink.js';
import { tenantSync } from '../test/helpers/fixtures.js';

const { values: args } = parseArgs({ options: { probes: { type: 'string', default: '10' } } });
const probes = Number(args.probes);

const link = await tcpLink(new URL(defaultMysqlUrl()));
const s = await startTestServer('mysql', {}, link.url);
const timed = async <T>(work: () => Promise<T>) => {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
};
const readyz = () => timed(async () => (await fetch(`${s.url}/readyz`)).status);
const max = (xs: number[]) => Math.max(...xs);

await s.kit('tenantSync', tenantSync());
const healthy = await readyz();
link.freeze();
const frozen: { value: number; ms: number }[] = [];
for (let i = 0; i < probes; i++) frozen.push(await readyz());
const call = await timed(() => s.kit('tenantSync', tenantSync()));
link.thaw();
const thawedAt = performance.now();
let back = await readyz();
while (back.value !== 200) back = await readyz();
const readyAfterMs = performance.now() - thawedAt;

const row = (scenario: string, unit: string, value: number, target: string, pass: boolean): ResultRow => ({ module: 'frozenDb', store: 'mysql', scenario, unit, value: Math.round(value), target, pass });
const rows: ResultRow[] = [
  row('/readyz, database answering', 'ms', healthy.ms, '200', healthy.value === 200),
  row(`/readyz while frozen, worst of ${probes}`, 'ms', max(frozen.map((p) => p.ms)), '503 within 1000 ms', frozen.every((p) => p.value === 503) && max(frozen.map((p) => p.ms)) < 1000),
  row('signed tenantSync while frozen', 'ms', call.ms, `000005 within ${s.rt.config.marketplaceCallTimeoutSeconds} s`, call.value.resultCode === '000005' && call.ms < s.rt.config.marketplaceCallTimeoutSeconds * 1000 + 1000),
  row('ready again after the thaw', 'ms', readyAfterMs, '<= 1000 ms', readyAfterMs <= 1000),
];
console.log(formatTable(rows));
writeJson(join(benchDir, 'results', 'frozen-db.json'), rows);
await s.stop();
await link.close();
