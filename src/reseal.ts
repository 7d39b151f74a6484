import { runCommand } from './command.js';
import { sealedColumns } from './features.js';
import { resealColumn } from './store/reseal.js';

/**
 * `npm run reseal [-- --batch=N]`: moves every sealed value to the newest key of DATA_ENCRYPTION_KEY,
 * with the server's environment, while the server runs. One line per batch, one per column; run it
 * again after a stop and it goes on with what is left. Exit 1 when some values open with no key of
 * the ring (they stay as they are) or the run failed.
 */
const batchArg = process.argv.find((a) => a.startsWith('--batch='));
const batchSize = batchArg ? Number(batchArg.slice('--batch='.length)) : 500;
if (!Number.isInteger(batchSize) || batchSize < 1) {
  console.error('koobridge reseal: --batch must be a whole number, at least 1');
  process.exit(1);
}
await runCommand(async (rt) => {
  const ids = rt.config.dataEncryptionKey.map((k) => k.id);
  console.log(`resealing with key ${ids[0]}${ids.length > 1 ? ` (also opening with ${ids.slice(1).join(', ')})` : ''}, ${batchSize} rows a batch`);
  let unreadable = 0;
  for (const col of sealedColumns()) {
    const name = `${col.table}.${col.column}`;
    let batches = 0;
    let resealed = 0;
    const total = await resealColumn(rt.db, rt.box, col, batchSize, (b) => {
      batches++;
      resealed += b.resealed;
      console.log(`${name}: batch ${batches}: ${b.resealed} resealed, ${b.changed} changed meanwhile (left as written), ${b.unreadable} unreadable; ${resealed} so far`);
    });
    unreadable += total.unreadable;
    console.log(`${name}: done, ${total.resealed} resealed${total.unreadable ? `, ${total.unreadable} open with no key of DATA_ENCRYPTION_KEY` : ''}`);
  }
  if (unreadable === 0) {
    console.log(`every sealed value is on key ${ids[0]}`);
    return true;
  }
  console.error(
    `koobridge reseal: ${unreadable} sealed values open with no key of DATA_ENCRYPTION_KEY and were left as they are (put back the key they were sealed with and run again; an app's clientSecret is also replaced by the marketplace's next applicationSync)`,
  );
  return false;
});
