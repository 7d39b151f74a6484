import cron, { type ScheduledTask } from 'node-cron';
import type { Runtime } from '../runtime.js';
import { purgeExpiredNonces } from '../store/nonces.js';
import { describe } from '../http/signedCall.js';

export interface Job {
  name: string;
  /** A cron expression, or one taken from the configuration. */
  schedule: string | ((rt: Runtime) => string);
  run(rt: Runtime): Promise<unknown>;
}

/** Every job is idempotent, so each replica may run it; noOverlap keeps one run at a time per process. */
const coreJobs: Job[] = [{ name: 'purge-nonces', schedule: '*/5 * * * *', run: (rt) => purgeExpiredNonces(rt.db) }];

export function startJobs(rt: Runtime, extra: Job[] = []): ScheduledTask[] {
  return [...coreJobs, ...extra].map((job) =>
    cron.schedule(
      typeof job.schedule === 'function' ? job.schedule(rt) : job.schedule,
      async () => {
        try {
          const result = await job.run(rt);
          rt.log.debug({ job: job.name, result }, 'job done');
        } catch (err) {
          rt.log.error({ job: job.name, err: describe(err) }, 'job failed');
        }
      },
      { name: job.name, noOverlap: true },
    ),
  );
}
