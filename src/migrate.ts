import { ConfigError, loadConfig } from './config/index.js';
import { createRuntime } from './runtime.js';
import { migrateLatest } from './store/migrate.js';

/** `npm run migrate`: applies pending migrations and exits. */
const config = (() => {
  try {
    return loadConfig();
  } catch (err) {
    console.error(err instanceof ConfigError ? `koobridge: ${err.message}` : err);
    process.exit(1);
  }
})();
const rt = createRuntime(config);
try {
  const applied = await migrateLatest(rt.db);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
} finally {
  if (rt.reads !== rt.db) await rt.reads.destroy();
  await rt.db.destroy();
}
