/**
 * Webhook delivery, on the store of the run: a backlog of 100,000 events sent to a loopback
 * receiver (events per second, against the bare koa route posted to with the same number in
 * flight), and the time from a call's commit to its event's arrival at a steady 200 calls a second
 * (each call a transaction emitting one event, in the server's process as a marketplace call is).
 * The receiver runs in a process of its own.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { startTestServer } from '../test/helpers/server.js';
import { inTransaction } from '../src/store/db.js';
import { emit, readEvents, type NewEvent } from '../src/store/events.js';
import { bareKoaBaseline, benchDir, percentile } from './lib.js';
import type { BenchModule, BenchRow } from './types.js';

const RATE = 200;
/** WEBHOOK_CONCURRENCY of the server under test: its default, unless the environment of the run sets it. */
const IN_FLIGHT = Number(process.env.WEBHOOK_CONCURRENCY ?? 4);

const event = (n: number): NewEvent => ({ type: 'user.updated', instanceId: 'bench-instance', tenantId: 'bench-tenant', testFlag: false, sourceTime: null, data: { n, userName: `user${n}`, name: `User ${n}`, role: 'user' } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

interface Report {
  requests: number;
  unique: number;
  firstSeen?: [string, number][];
}

async function startReceiver() {
  const child: ChildProcess = fork(`${benchDir}/webhookReceiver.ts`, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { url } = await new Promise<{ url: string }>((resolve) => child.once('message', resolve as (m: unknown) => void));
  const ask = (what: 'count' | 'report') => new Promise<Report>((resolve) => {
    child.once('message', resolve as (m: unknown) => void);
    child.send(what);
  });
  return {
    url,
    ask,
    async until(count: number, timeoutMs: number) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const r = await ask('count');
        if (r.unique >= count) return r;
        if (performance.now() > deadline) throw new Error(`${r.unique} of ${count} events arrived within ${timeoutMs / 1000} s`);
        await sleep(50);
      }
    },
    stop: () => new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.send('stop');
    }),
  };
}

const webhooks: BenchModule = {
  name: 'webhooks',
  async run(ctx) {
    const backlog = ctx.quick ? 10_000 : 100_000;
    const steadyMs = ctx.quick ? 5_000 : 20_000;
    const rows: BenchRow[] = [];
    const bare = await bareKoaBaseline(IN_FLIGHT, ctx.quick ? 2_000 : 5_000);
    const receiver = await startReceiver();
    const s = await startTestServer(ctx.store, { WEBHOOK_CONCURRENCY: String(IN_FLIGHT) }, ctx.mysqlUrl);
    try {
      const { db } = s.rt;
      const { body: endpoint } = await s.api('/api/v1/webhook-endpoints', undefined, 'POST', { url: receiver.url });
      const path = `/api/v1/webhook-endpoints/${endpoint.id}`;

      // The backlog is written while the endpoint is disabled, then sent from the moment it is enabled.
      await s.api(path, undefined, 'PATCH', { disabled: true });
      for (let n = 0; n < backlog; n += 1_000) await inTransaction(db, async (trx) => emit(trx, Array.from({ length: 1_000 }, (_, i) => event(n + i))));
      const t0 = performance.now();
      await s.api(path, undefined, 'PATCH', { disabled: false });
      const sent = await receiver.until(backlog, 1_800_000);
      const seconds = (performance.now() - t0) / 1000;
      rows.push({
        scenario: `deliver a backlog of ${backlog} events to a loopback receiver, ${IN_FLIGHT} in flight`,
        unit: 'events/s',
        value: backlog / seconds,
        baseline: { name: `bare koa route, ${IN_FLIGHT} in flight`, value: bare.value },
        note: `${seconds.toFixed(1)} s; ${sent.requests - sent.unique} sent more than once`,
      });

      // Steady calls: each commits one event; the time from its commit to the receiver's first sight of it.
      const { last } = (await db('event_sequence').where('name', 'events').first('last')) as { last: number };
      const committedAt = new Map<number, number>();
      const calls: Promise<void>[] = [];
      const start = performance.now();
      for (let i = 0; performance.now() - start < steadyMs; i++) {
        const n = backlog + i;
        calls.push(inTransaction(db, async (trx) => emit(trx, [event(n)])).then(() => void committedAt.set(n, Date.now())));
        await sleep(start + ((i + 1) * 1000) / RATE - performance.now());
      }
      await Promise.all(calls);
      await receiver.until(backlog + calls.length, 120_000);
      const { firstSeen } = await receiver.ask('report');
      const seen = new Map(firstSeen);
      const emitted = await readEvents(db, { after: last, limit: calls.length });
      const latencies = emitted.map((e) => seen.get(e.id)! - committedAt.get((e.data as { n: number }).n)!).sort((a, b) => a - b);
      const elapsed = (performance.now() - start) / 1000;
      rows.push({
        scenario: `commit to delivery at a steady ${RATE} calls/s, p95`,
        unit: 'ms',
        value: percentile(latencies, 95),
        note: `p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies[latencies.length - 1]} ms; ${latencies.length} calls at ${(calls.length / elapsed).toFixed(0)}/s`,
      });
      return rows;
    } finally {
      await s.stop();
      await receiver.stop();
    }
  },
};

export default webhooks;
