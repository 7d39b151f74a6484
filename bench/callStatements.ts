/**
 * `npx tsx bench/callStatements.ts [--store sqlite|mysql]`: the SQL statements one signed
 * singleOrgSync and one 500-user authSync send to the store (BEGIN and COMMIT included), listed in
 * order, from the store's query events. What the incremental calls cost in round trips on MySQL,
 * and in statements prepared and run on SQLite's single thread.
 */
import { parseArgs } from 'node:util';
import { startTestServer } from '../test/helpers/server.js';
import { departmentTree } from '../test/helpers/departmentTree.js';
import * as fx from '../test/helpers/fixtures.js';
import { encryptClientSecret } from '../test/helpers/keys.js';
import type { Store } from './types.js';

const { values: args } = parseArgs({ options: { store: { type: 'string' } } });
const stores: Store[] = args.store ? [args.store as Store] : ['sqlite', 'mysql'];

const shortSql = (sql: string) => sql.replace(/\s+/g, ' ').replace(/\((\?, )+\?\)(, \((\?, )+\?\))+/, '(?, …), …').slice(0, 140);

for (const store of stores) {
  const s = await startTestServer(store);
  try {
    const tenantId = 'statements';
    const ok = (a: { resultCode: string; resultMsg: string }) => {
      if (a.resultCode !== '000000') throw new Error(`${a.resultCode}: ${a.resultMsg}`);
    };
    ok(await s.kit('tenantSync', fx.tenantSync({ tenantId })));
    ok(await s.kit('applicationSync', fx.applicationSync(encryptClientSecret('statements-secret'), { tenantId })));
    const parents = departmentTree(10, 'P-');
    ok(await s.kit('allOrgSync', fx.allOrgSync(parents, { tenantId })));
    const calls: [string, () => Promise<void>][] = [
      ['singleOrgSync (new department under an existing one)', async () => ok(await s.kit('singleOrgSync', fx.singleOrgSync('N1', parents[3]!.orgCode, { tenantId })))],
      ['singleOrgSync (rename of that department)', async () => ok(await s.kit('singleOrgSync', fx.singleOrgSync('N1', parents[3]!.orgCode, { tenantId, orgName: 'Renamed' })))],
      ['authSync (500 new users)', async () => ok(await s.kit('authSync', fx.authSync(Array.from({ length: 500 }, (_, j) => fx.user(`u${j}`)), { tenantId })))],
    ];
    for (const [label, call] of calls) {
      const seen: string[] = [];
      const listener = (q: { sql: string }) => seen.push(shortSql(q.sql));
      s.rt.db.on('query', listener);
      await call();
      s.rt.db.off('query', listener);
      console.log(`\n${store}, ${label}: ${seen.length} statements`);
      for (const sql of seen) console.log(`  ${sql}`);
    }
  } finally {
    await s.stop();
  }
}
