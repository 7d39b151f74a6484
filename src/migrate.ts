import { reportStartupFailure, loadConfig } from './config/index.js';
import { createRuntime } from './runtime.js';
import { prepareDatabase } from './store/migrate.js';

/** `npm run migrate`: applies pending migrations (waiting for the database as the server does) and exits. */
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
  const applied = await prepareDatabase(rt.db, { waitSeconds: config.startupWaitSeconds, log: rt.log });
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
} catch (err) {
  reportStartupFailure(err);
  process.exitCode = 1;
} finally {
  if (rt.reads !== rt.db) await rt.reads.destroy();
  await rt.db.destroy();
}
