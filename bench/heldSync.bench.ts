/**
 * The mass-delete guard on a big tenant: a full sync that lists half of a tree of n departments is
 * held (its snapshot and the half it would remove are stored), then the merchant applies it. Each
 * is set against the first full sync of the same tree on the same server, which writes as many rows.
 */
import { expectSuccess, startKoobridgeProcess, timed, type KoobridgeProcess } from './lib.js';
import * as fx from '../test/helpers/fixtures.js';
import { departmentTree } from '../test/helpers/departmentTree.js';
import type { BenchModule, BenchRow } from './types.js';

const TARGET = 1.5; // holding or applying within 1.5x the first full sync of the tree

async function holdAndApply(kb: KoobridgeProcess, n: number): Promise<BenchRow[]> {
  const tenantId = `bench-held-${n}`;
  expectSuccess(await kb.kit('tenantSync', fx.tenantSync({ tenantId })));
  const tree = departmentTree(n, 'B-');
  const first = await timed(async () => expectSuccess(await kb.kit('allOrgSync', JSON.stringify(fx.allOrgSync(tree, { tenantId })))));
  // Children may precede parents in the list: the kept half goes to the top, so no parent is missing.
  const half = tree.slice(0, n / 2).map((d) => ({ ...d, parentCode: '' }));
  const held = await timed(() => kb.kit('allOrgSync', JSON.stringify(fx.allOrgSync(half, { tenantId }))));
  if (held.result.resultCode !== '000005') throw new Error(`held sync answered ${held.result.resultCode}: ${held.result.resultMsg}`);
  const id = (await kb.api(`/api/v1/held-syncs?tenantId=${tenantId}`)).body.items[0].id;
  const applied = await timed(() => kb.api(`/api/v1/held-syncs/${id}/apply`, 'POST'));
  if (applied.result.status !== 200 || applied.result.body.sync.removed !== n / 2) throw new Error(`apply answered ${applied.result.status}: ${JSON.stringify(applied.result.body)}`);
  const label = `${n.toLocaleString('en-US')} depts, half of them listed`;
  const baseline = { name: 'first full sync of the tree', value: first.ms };
  const row = (scenario: string, ms: number): BenchRow => ({ scenario, unit: 'ms', value: ms, baseline, target: `<= ${TARGET}x baseline`, pass: ms <= TARGET * first.ms });
  return [row(`held allOrgSync of ${label}`, held.ms), row(`apply of that held sync`, applied.ms)];
}

const heldSync: BenchModule = {
  name: 'heldSync',
  async run(ctx) {
    const kb = await startKoobridgeProcess(ctx);
    try {
      return await holdAndApply(kb, ctx.quick ? 20_000 : 100_000);
    } finally {
      await kb.stop();
    }
  },
};

export default heldSync;
