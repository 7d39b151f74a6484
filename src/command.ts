import { reportStartupFailure, loadConfig } from './config/index.js';
import { createRuntime, type Runtime } from './runtime.js';

/**
 * A one-off command run with the server's environment and store (`npm run migrate`, `npm run
 * reseal`): a configuration or store failure is said in one line and exits 1, as `work` returning
 * false does; the store is closed either way.
 */
export async function runCommand(work: (rt: Runtime) => Promise<boolean | void>): Promise<void> {
  const config = (() => {
    try {
      return loadConfig();
    } catch (err) {
      reportStartupFailure(err);
      process.exit(1);
    }
  })();
  const rt = createRuntime(config);
  try {
    if ((await work(rt)) === false) process.exitCode = 1;
  } catch (err) {
    reportStartupFailure(err);
    process.exitCode = 1;
  } finally {
    if (rt.reads !== rt.db) await rt.reads.destroy();
    await rt.db.destroy();
  }
}
