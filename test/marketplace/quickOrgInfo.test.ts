import { describe, expect, it } from 'vitest';
import { orgInfo, quickOrgInfo } from '../../src/marketplace/kitSchemas.js';

const long = (n: number) => 'x'.repeat(n);

/** Departments as a snapshot may list them: the usual shapes, and every field at, past or short of its rule. */
const items: unknown[] = [
  { orgCode: 'D1', orgName: 'Sales', parentCode: 'D0' },
  { orgCode: 'D1', orgName: 'Sales', parentCode: '' },
  { orgCode: 'D1', orgName: 'Sales', parentCode: null },
  { orgCode: 'D1', orgName: 'Sales' },
  { orgCode: 'D1', name: 'V1 name', parentCode: 'D0' },
  { orgCode: 'D1', orgName: 'V2 name', name: 'V1 name' },
  { orgCode: 'D1', orgName: '', parentCode: 'D0', flag: 1, extra: { deep: true } },
  { orgCode: long(64), orgName: long(128), parentCode: long(64) },
  { orgCode: long(65), orgName: 'Sales' },
  { orgCode: 'D1', orgName: long(129) },
  { orgCode: 'D1', orgName: 'Sales', parentCode: long(65) },
  { orgCode: 'D1', orgName: 'Sales', name: long(129) },
  { orgCode: 'D1', orgName: 'Sales', name: 7 },
  { orgCode: '', orgName: 'Sales' },
  { orgCode: 7, orgName: 'Sales' },
  { orgCode: 'D1' },
  { orgCode: 'D1', orgName: null, name: 'V1 name' },
  { orgCode: 'D1', orgName: 7 },
  { orgCode: 'D1', orgName: 'Sales', parentCode: 7 },
  { orgCode: 'D1', orgName: 'Sales', parentCode: {} },
  { orgName: 'Sales' },
  ['D1', 'Sales'],
  'D1',
  null,
  7,
];

describe('the quick check of a department in a full sync', () => {
  it.each(items.map((item) => [JSON.stringify(item), item]))('%s: the value the schema gives, or left to the schema', (_, item) => {
    const full = orgInfo.safeParse(item);
    const quick = quickOrgInfo(item);
    if (quick !== undefined) expect(full).toEqual({ success: true, data: quick });
  });

  it('decides the usual shapes itself', () => {
    expect(items.slice(0, 8).map(quickOrgInfo)).not.toContain(undefined);
  });
});
