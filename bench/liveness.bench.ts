/**
 * Liveness during a large full sync, on the store of the run: while one
 * 100,000-department allOrgSync (first time) is received and applied, two clients poll, each on a
 * connection of its own, one request at a time every 10 ms: `GET /healthz` and `GET /sso/session`.
 * The row is the worst answer time each saw.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'undici';
import { expectSuccess, percentile, startKoobridgeProcess, timed } from './lib.js';
import * as fx from '../test/helpers/fixtures.js';
import { departmentTree } from '../test/helpers/departmentTree.js';
import type { BenchModule, BenchRow } from './types.js';
import { SETTINGS } from '../src/config/settings.js';

const WORST_MS = 250;
const POLL_EVERY_MS = 10;

/** What one poller asks, and the status that counts as an answer. */
interface Probe {
  path: string;
  headers: Record<string, string>;
  status: number;
  note: string;
  /** Count other answers instead of failing on them (readiness may say "not now"). */
  countOthers?: boolean;
  /** Its own bound, when not WORST_MS. */
  worstMs?: number;
}

/** Asks `probe` every POLL_EVERY_MS (one request in flight) until `running()` turns false; answers the latencies. */
async function poll(origin: string, probe: Probe, running: () => boolean): Promise<{ latencies: number[]; others: number }> {
  const client = new Client(origin);
  const latencies: number[] = [];
  let others = 0;
  try {
    while (running()) {
      const t0 = performance.now();
      const res = await client.request({ path: probe.path, method: 'GET', headers: probe.headers });
      await res.body.dump();
      if (res.statusCode !== probe.status) {
        if (!probe.countOthers) throw new Error(`GET ${probe.path} answered HTTP ${res.statusCode}`);
        others++;
      }
      const ms = performance.now() - t0;
      latencies.push(ms);
      await sleep(Math.max(0, POLL_EVERY_MS - ms));
    }
  } finally {
    await client.close();
  }
  return { latencies, others };
}

function probes(): Probe[] {
  const ssoCookieName = SETTINGS.ssoCookieName.default;
  return [
    { path: '/healthz', headers: {}, status: 200, note: '' },
    {
      path: '/sso/session',
      // A real session needs a login through an IdP; an unknown one is looked up in the database
      // all the same (the part a sync could hold up), then refused.
      headers: { cookie: `${ssoCookieName}=${randomBytes(32).toString('base64url')}` },
      status: 401,
      note: 'a random session cookie (looked up in the database, answered 401); ',
    },
    // Readiness writes a row: on SQLite it waits for the one writer, which a full sync holds.
    // Its bound is the probe's own: an answer within a second, and ready (no answer counted as another).
    { path: '/readyz', headers: {}, status: 200, note: '', countOthers: true, worstMs: 1000 },
  ];
}

const liveness: BenchModule = {
  name: 'liveness',
  async run(ctx) {
    const n = ctx.quick ? 10_000 : 100_000;
    const kb = await startKoobridgeProcess(ctx);
    try {
      const tenantId = 'bench-liveness';
      expectSuccess(await kb.kit('tenantSync', fx.tenantSync({ tenantId })));
      const body = JSON.stringify(fx.allOrgSync(departmentTree(n, 'L-'), { tenantId }));
      let running = true;
      const polls = probes().map(async (probe) => ({ probe, ...(await poll(kb.url, probe, () => running)) }));
      const sync = await timed(async () => expectSuccess(await kb.kit('allOrgSync', body))).finally(() => (running = false));
      return (await Promise.all(polls)).map(({ probe, latencies, others }): BenchRow => {
        const worst = Math.max(...latencies);
        const bound = probe.worstMs ?? WORST_MS;
        return {
          scenario: `worst GET ${probe.path} during allOrgSync ${n.toLocaleString('en-US')} depts (first time)`,
          unit: 'ms',
          value: worst,
          target: `<= ${bound} ms${probe.countOthers ? `, all ${probe.status}` : ''}`,
          pass: worst <= bound && others === 0,
          note: `${probe.note}${latencies.length} polls${probe.countOthers ? ` (${others} not ${probe.status})` : ''}, p50 ${percentile(latencies.sort((a, b) => a - b), 50).toFixed(1)} ms; the sync took ${sync.ms.toFixed(0)} ms`,
        };
      });
    } finally {
      await kb.stop();
    }
  },
};

export default liveness;
