import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { runJobOnce, startJobs, type Job } from '../../src/jobs/index.js';

describe.each(stores)('scheduled jobs on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(store);
  });
  afterAll(() => s.stop());

  it('run on one replica per tick when several fire at once, and again once the lease lapses', async () => {
    let runs = 0;
    const job: Job = { name: 'count', schedule: '* * * * *', run: async () => void runs++ };
    const replicas = ['replica-a', 'replica-b', 'replica-c', 'replica-d'];
    const outcomes = await Promise.all(replicas.map((owner) => runJobOnce(s.rt, job, 60_000, owner)));
    expect(outcomes.filter((o) => o === 'ran')).toHaveLength(1);
    expect(runs).toBe(1);
    expect(await runJobOnce(s.rt, job, 60_000, 'replica-a')).toBe('skipped');

    await s.rt.db('job_leases').where('name', 'count').update({ lease_until: Date.now() - 1 });
    expect(await runJobOnce(s.rt, job, 60_000, 'replica-b')).toBe('ran');
    expect(runs).toBe(2);
  });

  // Last: it stops this server's runtime.
  it('stopping waits for the run under way, which sees the stop and can end early', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let sawStop: boolean | undefined;
    const job: Job = {
      name: 'slow',
      schedule: '* * * * * *',
      run: async (rt) => {
        started();
        await gate;
        sawStop = rt.stopping.signal.aborted;
      },
    };
    const jobs = startJobs(s.rt, [job]);
    await running;
    s.rt.stopping.abort();
    let stopped = false;
    const stopping = jobs.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(sawStop).toBe(true);
  });
});
