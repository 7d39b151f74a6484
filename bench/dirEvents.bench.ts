/**
 * Full department syncs with their directory events: the first sync of n departments writes n
 * department.created events in its transaction, its replay none. Measured as bench/kit.bench.ts
 * measures full syncs (against the floor: a bare koa route reading the body plus a raw-driver
 * upsert of the same rows, on the same store in the same run), with this feature's targets, and
 * each sync's events counted in the store.
 */
import { fullSync, fullSyncRuns } from './kit.bench.js';
import { startBareKoaProcess, startKoobridgeProcess } from './lib.js';
import { openRawStore } from './rawStore.js';
import type { BenchModule, BenchRow } from './types.js';

const FIRST_SYNC_TARGET = 2; // writing n events besides n departments: within 2x the floor
const REPLAY_TARGET = 0.5; // a replay writes neither departments nor events

const dirEvents: BenchModule = {
  name: 'dirEvents',
  async run(ctx) {
    const kb = await startKoobridgeProcess(ctx);
    const raw = await openRawStore(kb.database);
    const bare = await startBareKoaProcess(1);
    const afterSync = async (tenantId: string, n: number, replay: boolean) => {
      const events = await raw.count("SELECT COALESCE(SUM(last_sequence - sequence + 1), 0) AS n FROM events WHERE tenant_id = ? AND type = 'department.created'", [tenantId]);
      if (events !== n) throw new Error(`allOrgSync of ${n}${replay ? ', replayed' : ''}: ${events} department.created events stored, expected ${n}`);
    };
    try {
      const rows: BenchRow[] = [];
      for (const n of ctx.quick ? [10_000] : [10_000, 100_000]) {
        rows.push(...(await fullSync(kb, raw, bare, n, fullSyncRuns(n, ctx.quick), { first: FIRST_SYNC_TARGET, replay: REPLAY_TARGET, label: ' with events', afterSync })));
      }
      return rows;
    } finally {
      await bare.stop();
      await raw.close();
      await kb.stop();
    }
  },
};

export default dirEvents;
