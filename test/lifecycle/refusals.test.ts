import { describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { TEST_KEYS } from '../helpers/keys.js';
import { newInstance, queryInstance, refreshInstance, releaseInstance, updateInstanceStatus, upgradeInstance, harness } from './bodies.js';
import { lastAudit, rowCount } from '../helpers/snapshot.js';

/** Each activity's body and its mandatory fields (spec §7). */
const BODIES: [string, Record<string, unknown>, string[]][] = [
  ['newInstance', newInstance(), ['orderId', 'orderLineId', 'businessId']],
  ['queryInstance', queryInstance('i-1'), ['instanceId']],
  ['refreshInstance', refreshInstance('i-1'), ['instanceId', 'orderId', 'orderLineId', 'scene', 'expireTime']],
  ['updateInstanceStatus', updateInstanceStatus('i-1', 'FREEZE'), ['instanceId', 'status']],
  ['releaseInstance', releaseInstance('i-1'), ['instanceId']],
  ['upgradeInstance', upgradeInstance('i-1'), ['instanceId', 'orderId', 'orderLineId']],
];
const missing = BODIES.flatMap(([activity, body, fields]) => fields.map((f) => [activity, f, body] as const));

describe.each(stores)('refused basic calls on %s', (store) => {
  const h = harness(store);

  /** Everything the basic calls write; a refusal must leave it as it was. */
  const written = async () => [await rowCount(h.s.rt.db, 'instances'), await rowCount(h.s.rt.db, 'instance_orders')];

  it.each(missing)('%s without %s: 000002 naming the field, nothing written', async (_activity, field, body) => {
    const before = await written();
    const { [field]: _, ...rest } = body;
    expect(await h.s.basic(rest)).toEqual({ resultCode: '000002', resultMsg: `${field}: is required` });
    expect(await written()).toEqual(before);
  });

  it.each(missing)('%s with %s as a number: 000002 "must be a string"', async (_activity, field, body) => {
    expect(await h.s.basic({ ...body, [field]: 20261121 })).toEqual({ resultCode: '000002', resultMsg: `${field}: must be a string` });
  });

  it.each(BODIES.map(([activity, body]) => [activity, body] as const))('%s with testFlag 1 as a number or "2": 000002', async (_activity, body) => {
    expect((await h.s.basic({ ...body, testFlag: 1 })).resultMsg).toBe('testFlag: must be a string');
    expect((await h.s.basic({ ...body, testFlag: '2' })).resultMsg).toBe('testFlag: must be one of "0", "1", ""');
  });

  it('refuses an id longer than 64 characters', async () => {
    expect(await h.s.basic(newInstance({ orderId: 'x'.repeat(65) }))).toEqual({ resultCode: '000002', resultMsg: 'orderId: must be at most 64 characters' });
  });

  it('refuses an unknown, missing or mistyped activity with 000002 naming activity, and audits it', async () => {
    expect((await h.s.basic({ activity: 'deleteInstance', instanceId: 'i-1' })).resultMsg).toMatch(/^activity: unknown activity "deleteInstance"; expected one of newInstance, queryInstance/);
    // Recorded under a closed set of names (here "unknown"); the message keeps what was asked.
    expect(await lastAudit(h.s.rt.db, 'unknown')).toMatchObject({ channel: 'basic', result_code: '000002', outcome: 'rejected', result_msg: expect.stringContaining('"deleteInstance"') });
    expect(await h.s.basic({ instanceId: 'i-1' })).toEqual({ resultCode: '000002', resultMsg: 'activity: is required' });
    expect(await h.s.basic({ activity: 7 })).toEqual({ resultCode: '000002', resultMsg: 'activity: must be a string' });
    expect((await h.s.basic({ activity: 'toString' })).resultMsg).toMatch(/^activity: unknown activity "toString"/);
  });

  it('refuses more than 100 ids in queryInstance', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `i-${i}`);
    expect(await h.s.basic(queryInstance(ids))).toEqual({ resultCode: '000002', resultMsg: 'instanceId: must list at most 100 instance ids, got 101' });
  });

  it('refuses a body that is not a JSON object', async () => {
    expect((await h.s.basic('{"activity":')).resultMsg).toBe('body: not valid JSON');
    expect((await h.s.basic('["newInstance"]')).resultMsg).toBe('body: must be a JSON object');
  });

  it('refuses a call signed with the kit key instead of the basic key: 000001, nothing written', async () => {
    const before = await written();
    expect(await h.s.basic(newInstance(), { key: TEST_KEYS.kit })).toEqual({ resultCode: '000001', resultMsg: 'signature: signature does not match' });
    expect(await written()).toEqual(before);
  });

  it('refuses a call without signature (000001) or without timestamp or nonce (000002)', async () => {
    const body = JSON.stringify(newInstance());
    const post = async (q: Record<string, string>) =>
      (await fetch(`${h.s.url}/koogallery?${new URLSearchParams(q)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json();
    expect(await post({ timestamp: String(Date.now()), nonce: 'n-1' })).toEqual({ resultCode: '000001', resultMsg: 'signature: is required' });
    expect(await post({ signature: 'AB', nonce: 'n-2' })).toEqual({ resultCode: '000002', resultMsg: 'timestamp: is required' });
    expect(await post({ signature: 'AB', timestamp: String(Date.now()) })).toEqual({ resultCode: '000002', resultMsg: 'nonce: is required' });
  });

  it('accepts a 10-digit timestamp in seconds (older pages of spec §3.2)', async () => {
    const body = newInstance();
    const answer = await h.s.basic(body, { timestamp: String(Math.floor(Date.now() / 1000)) });
    expect(answer).toMatchObject({ resultCode: '000000', instanceId: body.businessId });
  });

  it('refuses a timestamp more than 60 s old, in milliseconds or seconds', async () => {
    const old = Date.now() - 120_000;
    expect(await h.s.basic(newInstance(), { timestamp: String(old) })).toEqual({
      resultCode: '000002',
      resultMsg: "timestamp: more than 60 s away from the server's clock",
    });
    expect((await h.s.basic(newInstance(), { timestamp: String(Math.floor(old / 1000)) })).resultCode).toBe('000002');
  });

  it('refuses a replayed nonce, changing nothing', async () => {
    const body = newInstance();
    expect((await h.s.basic(body, { nonce: 'REPLAYED-NONCE-1' })).resultCode).toBe('000000');
    const replay = await h.s.basic({ ...body, businessId: 'other' }, { nonce: 'REPLAYED-NONCE-1' });
    expect(replay).toEqual({ resultCode: '000001', resultMsg: 'nonce: already used; replayed request refused' });
  });

  it('accepts the signature over the re-serialised (sorted) body as well as over the raw one, and audits which', async () => {
    const body = newInstance();
    const raw = `{ "orderId": "${body.orderId}", "activity": "newInstance", "orderLineId": "${body.orderLineId}", "businessId": "${body.businessId}" }`;
    const canonical = JSON.stringify(Object.fromEntries(Object.entries(body).sort(([a], [b]) => (a < b ? -1 : 1))));
    expect((await h.s.basic(raw, { signedPayload: canonical })).resultCode).toBe('000000');
    expect(await lastAudit(h.s.rt.db, 'newInstance')).toMatchObject({ sign_form: 'canonical' });
  });

  it("accepts a signature over the Java demo's form of numbers and booleans: each the string of its text", async () => {
    const { orderId, orderLineId, businessId } = newInstance();
    const raw = `{"orderId":"${orderId}","activity":"newInstance","orderLineId":"${orderLineId}","businessId":"${businessId}","x":1,"y":1.50,"z":true,"n":null}`;
    const java = `{"activity":"newInstance","businessId":"${businessId}","orderId":"${orderId}","orderLineId":"${orderLineId}","x":"1","y":"1.50","z":"true"}`;
    expect(await h.s.basic(raw, { signedPayload: java })).toMatchObject({ resultCode: '000000', instanceId: businessId });
    expect(await lastAudit(h.s.rt.db, 'newInstance')).toMatchObject({ sign_form: 'canonical', result_code: '000000' });
  });

  it('takes testFlag 1 as a number signed over the demo form ("1") as signed, then refuses it as mistyped', async () => {
    const { orderId, orderLineId, businessId } = newInstance();
    const raw = `{"activity":"newInstance","orderId":"${orderId}","orderLineId":"${orderLineId}","businessId":"${businessId}","testFlag":1}`;
    const java = `{"activity":"newInstance","businessId":"${businessId}","orderId":"${orderId}","orderLineId":"${orderLineId}","testFlag":"1"}`;
    expect(await h.s.basic(raw, { signedPayload: java })).toEqual({ resultCode: '000002', resultMsg: 'testFlag: must be a string' });
  });
});
