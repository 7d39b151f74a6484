/**
 * The basic lifecycle calls through real signed HTTP, on the store of the run:
 * newInstance (a new order each call, so every call writes) and queryInstance (the marketplace's
 * polling after newInstance) at concurrency 32, each against the bare koa route measured in the
 * same run.
 */
import { randomUUID } from 'node:crypto';
import { bareKoaBaseline, expectSuccess, load, startKoobridgeProcess, throughputRow, warmupFor, type Baseline, type LoadResult } from './lib.js';
import type { BenchModule } from './types.js';

const CONCURRENCY = 32;

/** Issue 3 asks for the comparison, not a share: the row shows the ratio without a target. */
const row = (scenario: string, r: LoadResult, bare: Baseline) => throughputRow(`${scenario}, concurrency ${CONCURRENCY}`, r, bare);

const lifecycle: BenchModule = {
  name: 'lifecycle',
  async run(ctx) {
    const durationMs = ctx.quick ? 2_000 : 10_000;
    const kb = await startKoobridgeProcess(ctx);
    try {
      const created: string[] = [];
      const newInstance = await load({
        concurrency: CONCURRENCY,
        durationMs,
        warmupMs: warmupFor(durationMs),
        fire: async () => {
          const orderId = `CS${randomUUID().replaceAll('-', '').slice(0, 20).toUpperCase()}`;
          const answer = expectSuccess(await kb.basic({ activity: 'newInstance', orderId, orderLineId: `${orderId}-000001`, businessId: randomUUID() }));
          created.push(answer.instanceId as string);
        },
      });
      if (newInstance.errors) throw new Error(`newInstance: ${newInstance.errors} calls failed (${newInstance.firstError})`);

      let i = 0;
      const queryInstance = await load({
        concurrency: CONCURRENCY,
        durationMs,
        warmupMs: warmupFor(durationMs),
        fire: async () => expectSuccess(await kb.basic({ activity: 'queryInstance', instanceId: created[i++ % created.length] })),
      });
      if (queryInstance.errors) throw new Error(`queryInstance: ${queryInstance.errors} calls failed (${queryInstance.firstError})`);

      const bare = await bareKoaBaseline(CONCURRENCY, durationMs);
      return [row('newInstance (new order each call)', newInstance, bare), row('queryInstance (one id)', queryInstance, bare)];
    } finally {
      await kb.stop();
    }
  },
};

export default lifecycle;
