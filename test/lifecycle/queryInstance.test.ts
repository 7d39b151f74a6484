import { describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { basicRaw, created, queryInstance, releaseInstance, updateInstanceStatus, harness } from './bodies.js';
import { lastAudit } from '../helpers/snapshot.js';

const MEMO = '请使用企业账号登录 / sign in with your enterprise account';

describe.each(stores)('queryInstance on %s', (store) => {
  const h = harness(store, {
      PUBLIC_URL: 'https://bridge.example.com/',
      FRONT_END_URL: 'https://app.example.com/login?instance={instanceId}',
      ADMIN_URL: '/admin/{instanceId}',
      INSTANCE_MEMO: MEMO,
    });

  it('answers appInfo for a known instance: frontEndUrl and adminUrl from their templates, and the memo', async () => {
    const id = await created(h.s);
    expect(await h.s.basic(queryInstance(id))).toEqual({
      resultCode: '000000',
      resultMsg: 'Success',
      info: [
        {
          instanceId: id,
          appInfo: {
            frontEndUrl: `https://app.example.com/login?instance=${id}`,
            adminUrl: `https://bridge.example.com/admin/${id}`,
            memo: MEMO,
          },
        },
      ],
    });
  });

  it('escapes Chinese in the answer as \\uXXXX (spec §7.2), which still parses to the same memo', async () => {
    const id = await created(h.s);
    const raw = await basicRaw(h.s, queryInstance(id));
    expect(raw).toMatch(/^[\x20-\x7e]*$/);
    expect(raw).toContain('\\u8bf7\\u4f7f\\u7528');
    expect(JSON.parse(raw).info[0].appInfo.memo).toBe(MEMO);
  });

  it('answers only the known instances of a list, in the order asked', async () => {
    const a = await created(h.s);
    const b = await created(h.s);
    const answer = await h.s.basic(queryInstance([b, 'never-created', a]));
    expect((answer.info as { instanceId: string }[]).map((i) => i.instanceId)).toEqual([b, a]);
    expect((await lastAudit(h.s.rt.db, 'queryInstance')).detail).toEqual({ requested: 3, found: 2, answered: 2, key: 'current' });
  });

  it('accepts 100 ids and refuses 101 with 000002 naming instanceId', async () => {
    const id = await created(h.s);
    const ids = [id, ...Array.from({ length: 99 }, (_, i) => `unknown-${i}`)];
    expect((await h.s.basic(queryInstance(ids))).resultCode).toBe('000000');
    const tooMany = await h.s.basic(queryInstance([...ids, 'one-more']));
    expect(tooMany).toEqual({ resultCode: '000002', resultMsg: 'instanceId: must list at most 100 instance ids, got 101' });
  });

  it('answers 000003 when none of the listed instances exists', async () => {
    expect(await h.s.basic(queryInstance('never-created'))).toMatchObject({ resultCode: '000003', resultMsg: 'instanceId: instance never-created does not exist' });
    expect((await h.s.basic(queryInstance(['x1', 'x2']))).resultMsg).toBe('instanceId: none of the 2 instances exists');
  });

  it('says a frozen instance is frozen, and no longer answers a released one', async () => {
    const id = await created(h.s);
    await h.s.basic(updateInstanceStatus(id, 'FREEZE'));
    const frozen = await h.s.basic(queryInstance(id));
    expect((frozen.info as any[])[0].appInfo.memo).toBe(`【已冻结 / frozen】 ${MEMO}`);
    await h.s.basic(releaseInstance(id));
    expect((await h.s.basic(queryInstance(id))).resultCode).toBe('000003');
  });

  it('answers a debug request (testFlag "1") for any id, so a saved debug case keeps passing after a release', async () => {
    const id = await created(h.s, { testFlag: '1' });
    await h.s.basic(releaseInstance(id, { testFlag: '1' }));
    for (const instanceId of [id, 'huaiweitest123456']) {
      const answer = await h.s.basic(queryInstance(instanceId, { testFlag: '1' }));
      expect(answer).toMatchObject({ resultCode: '000000', info: [{ instanceId, appInfo: { frontEndUrl: `https://app.example.com/login?instance=${instanceId}` } }] });
    }
  });

  it('URL-encodes the instanceId filled into the templates', async () => {
    const id = await created(h.s, { businessId: 'a b&c' });
    expect((await h.s.basic(queryInstance(id))).info).toMatchObject([{ appInfo: { frontEndUrl: 'https://app.example.com/login?instance=a%20b%26c' } }]);
  });
});

describe('queryInstance defaults', () => {
  const h = harness('sqlite', { PUBLIC_URL: 'https://bridge.example.com' });

  it('points frontEndUrl and adminUrl at the SSO login of PUBLIC_URL', async () => {
    const id = await created(h.s);
    const login = `https://bridge.example.com/sso/login?instanceId=${id}`;
    expect((await h.s.basic(queryInstance(id))).info).toMatchObject([{ appInfo: { frontEndUrl: login, adminUrl: login } }]);
  });
});
