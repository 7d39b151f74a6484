import { runCommand } from './command.js';
import { prepareDatabase } from './store/migrate.js';

/** `npm run migrate`: applies pending migrations (waiting for the database as the server does) and exits. */
await runCommand(async (rt) => {
  const applied = await prepareDatabase(rt.db, { waitSeconds: rt.config.startupWaitSeconds, log: rt.log });
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
});
