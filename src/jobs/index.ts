import cron from 'node-cron';
import { randomBytes } from 'node:crypto';
import type { Runtime } from '../runtime.js';
import type { Db } from '../store/db.js';
import { describe } from '../log.js';

export interface Job {
  name: string;
  /** A cron expression, or one taken from the configuration. */
  schedule: string | ((rt: Runtime) => string);
  run(rt: Runtime): Promise<unknown>;
}

/** This process, as a lease owner. */
const processId = randomBytes(12).toString('hex');

/**
 * Every replica schedules the same jobs at the same moments; a lease in the database lets one of
 * them run each tick and the others skip it, rather than every replica calling the IdPs and
 * deleting the same rows at once. The lease is kept after the run, so a replica whose timer fires a little later in the same tick still skips. Jobs are
 * idempotent, so a lease that lapses during a very long run costs duplicate work, not harm.
 */
export async function takeJobLease(db: Db, name: string, owner: string, leaseMs: number, now = Date.now()): Promise<boolean> {
  await db('job_leases').insert({ name, owner: '', lease_until: 0 }).onConflict('name').ignore();
  const taken = await db('job_leases').where('name', name).andWhere('lease_until', '<=', now).update({ owner, lease_until: now + leaseMs });
  return taken === 1;
}

/** Runs the job if this process wins the tick's lease; the answer says what happened. */
export async function runJobOnce(rt: Runtime, job: Job, leaseMs: number, owner = processId): Promise<'ran' | 'skipped'> {
  if (!(await takeJobLease(rt.db, job.name, owner, leaseMs))) return 'skipped';
  const result = await job.run(rt);
  rt.log.debug({ job: job.name, result }, 'job done');
  return 'ran';
}

/** Held from the start of a run; shorter than the one-minute tick the most frequent schedule has. */
const LEASE_MS = 50_000;

export interface RunningJobs {
  /** No more ticks; resolves once the runs under way have finished (they stop early on rt.stopping). */
  stop(): Promise<void>;
}

export function startJobs(rt: Runtime, jobs: Job[]): RunningJobs {
  const runs = new Set<Promise<void>>();
  const tasks = jobs.map((job) =>
    cron.schedule(
      typeof job.schedule === 'function' ? job.schedule(rt) : job.schedule,
      () => {
        if (rt.stopping.signal.aborted) return;
        const run = runJobOnce(rt, job, LEASE_MS).then(
          () => undefined,
          (err) => void rt.log.error({ job: job.name, err: describe(err) }, 'job failed'),
        );
        runs.add(run);
        return run.finally(() => runs.delete(run));
      },
      { name: job.name, noOverlap: true },
    ),
  );
  return {
    async stop() {
      for (const t of tasks) await t.destroy();
      await Promise.all(runs);
    },
  };
}
