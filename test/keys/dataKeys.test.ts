import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { childEnv, spawnChild } from '../helpers/child.js';
import { storeUrl } from '../helpers/database.js';
import { encryptClientSecret } from '../helpers/keys.js';
import * as kit from '../helpers/fixtures.js';
import { dataKeyId } from '../../src/config/settings.js';
import { SecretBox } from '../../src/store/secretBox.js';
import { sealedColumns } from '../../src/features.js';
import { clientSecretContext } from '../../src/directory/applicationSync.js';
import { APP, CLIENT_ID, CLIENT_SECRET, INSTANCE, TENANT, startWorld, type World } from '../sso/world.js';
import { json, type Browser } from '../sso/browser.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const newKey = () => randomBytes(32).toString('base64');
const idOf = (key: string) => dataKeyId(Buffer.from(key, 'base64'));

/** Every sealed column, as `npm run reseal` walks them. */
const SEALED = [
  ['apps', 'client_secret'],
  ['sso_sessions', 'access_token'],
  ['sso_sessions', 'refresh_token'],
  ['sso_session_switches', 'access_token'],
  ['sso_session_switches', 'refresh_token'],
  ['sso_login_states', 'code_verifier'],
  ['instance_provisioning', 'password'],
  ['instance_app_info', 'password'],
  ['webhook_endpoints', 'secret'],
  ['webhook_endpoints', 'previous_secret'],
  // Plain JSON too: only the answers carrying a password are sealed.
  ['nonces', 'answer'],
] as const;

/** The key ids the stored sealed values are under, with how many of each ('v1' for values from before the ring). */
async function keysInUse(w: World): Promise<Record<string, number>> {
  const ids: Record<string, number> = {};
  for (const [table, column] of SEALED) {
    for (const value of await w.s.rt.db(table).whereNotNull(column).pluck(column)) {
      if (table === 'nonces' && value.startsWith('{')) continue;
      const id = /^v2\.([^.]+)\./.exec(value)?.[1] ?? value.slice(0, 2);
      ids[id] = (ids[id] ?? 0) + 1;
    }
  }
  return ids;
}

/** `npm run reseal` as an operator runs it beside the server: a process of its own, the server's environment. */
function startReseal(w: World, ring: string, args: string[] = []) {
  return spawnChild(
    childEnv({ DATABASE_URL: storeUrl(w.s.fresh), DATA_DIR: w.s.fresh.dataDir, DATA_ENCRYPTION_KEY: ring }),
    [process.execPath, '--import', 'tsx', 'src/reseal.ts', ...args],
  );
}

async function reseal(w: World, ring: string, args: string[] = []) {
  const child = startReseal(w, ring, args);
  return { code: (await child.exited).code, output: child.output() };
}

/** The app's stored clientSecret, sealed anew by hand (as an older or another ring would have). */
async function storeClientSecret(w: World, sealed: string) {
  await w.s.rt.db('apps').where({ instance_id: INSTANCE, tenant_id: TENANT, app_id: APP }).update({ client_secret: sealed });
}

const clientSecretSealedWith = (ring: { id: string; key: Buffer }[]) => new SecretBox(ring).seal(CLIENT_SECRET, clientSecretContext(INSTANCE, TENANT, APP));

/** A session about to lapse: the next check renews it at the IdP with the stored refresh token. */
async function dueForRenewal(w: World, userName: string) {
  await w.s.rt.db('sso_sessions').where({ user_name: userName }).update({ access_expires_at: Date.now() + 60_000 });
}

describe('the sealed columns', () => {
  it('are every column npm run reseal walks', () => {
    expect(sealedColumns().map((c) => `${c.table}.${c.column}`).sort()).toEqual(SEALED.map(([table, column]) => `${table}.${column}`).sort());
  });
});

describe.each(stores)('rotating DATA_ENCRYPTION_KEY on %s', (store) => {
  const OLD = newKey();
  const NEW = newKey();
  const logLines: string[] = [];
  let w: World;
  beforeAll(async () => {
    w = await startWorld(store, { env: { DATA_ENCRYPTION_KEY: OLD }, logLines });
  });
  afterAll(() => w?.stop());

  it('[old] → [new, old] → reseal beside the running server → [new]: logins under way, sessions and their renewals, kit calls all go on', async () => {
    // On [old]: signed-in users, a login under way (its PKCE verifier sealed), a value from before key ids.
    const { browser: signedIn } = await w.marketplaceLogin('zhangsan');
    const browsers: Browser[] = [];
    for (let i = 0; i < 6; i++) browsers.push((await w.marketplaceLogin(i % 2 ? 'lisi' : 'zhangsan')).browser);
    const underWay = w.browser();
    const underWayCallback = await w.appCallback('lisi', undefined, underWay);
    await storeClientSecret(w, clientSecretSealedWith([{ id: idOf(OLD), key: Buffer.from(OLD, 'base64') }]).replace(/^v2\.[^.]+\./, 'v1.'));
    expect(await keysInUse(w)).toEqual({ v1: 1, [idOf(OLD)]: 15 });

    await w.restart({ DATA_ENCRYPTION_KEY: `${NEW},${OLD}` });
    // The login started before the restart finishes; the signed-in user stays signed in and is renewed.
    expect((await underWay.get(underWayCallback)).status).toBe(302);
    expect((await w.session(underWay)).body.user).toMatchObject({ userName: 'lisi' });
    expect((await w.session(signedIn)).status).toBe(200);
    const refreshes = w.idp.events.refreshes;
    await dueForRenewal(w, 'zhangsan');
    expect((await w.session(signedIn)).status).toBe(200);
    expect(w.idp.events.refreshes).toBe(refreshes + 1);
    // New logins work (the v1 clientSecret opens) and seal with the new key; a kit call resending the secret succeeds.
    const { browser: wangwu } = await w.appLogin('zhangsan');
    expect((await w.session(wangwu)).status).toBe(200);
    expect(await w.s.kit('applicationSync', kit.applicationSync(encryptClientSecret(CLIENT_SECRET), { clientId: CLIENT_ID }))).toMatchObject({ resultCode: '000000' });
    const before = await keysInUse(w);
    expect(before[idOf(NEW)]).toBeGreaterThan(0);
    expect(before.v1).toBe(1); // unchanged, the secret the same: moved by the reseal

    // Resealed one row a batch while the server signs people in and renews their sessions.
    const resealing = startReseal(w, `${NEW},${OLD}`, ['--batch=1']);
    let finished = false;
    void resealing.exited.then(() => (finished = true));
    await resealing.waitFor(/^resealing with key/m);
    for (let i = 0; i < 40 && !finished; i++) {
      const b = browsers[i % browsers.length]!;
      await w.s.rt.db('sso_sessions').where({ id_hash: sha256(b.cookies.get('koobridge_session')!) }).update({ access_expires_at: Date.now() + 60_000 });
      expect((await w.session(b)).status).toBe(200);
      expect((await w.marketplaceLogin('lisi')).res.status).toBe(302);
    }
    const run = { code: (await resealing.exited).code, output: resealing.output() };
    expect(run.code, run.output).toBe(0);
    expect(run.output.match(/^sso_sessions\.(access|refresh)_token: batch \d+: 1 resealed, 0 changed|^sso_sessions\.(access|refresh)_token: batch \d+: 0 resealed, 1 changed/gm)?.length).toBeGreaterThanOrEqual(2);
    expect(run.output).toMatch(/^apps\.client_secret: done, \d+ resealed$/m);
    expect(run.output).toContain(`every sealed value is on key ${idOf(NEW)}`);
    expect(await keysInUse(w)).toEqual({ [idOf(NEW)]: expect.any(Number) });

    // Resumable: a second run finds nothing left.
    const again = await reseal(w, `${NEW},${OLD}`);
    expect(again.code, again.output).toBe(0);
    expect(again.output).not.toMatch(/batch 1/);

    await w.restart({ DATA_ENCRYPTION_KEY: NEW });
    for (const b of [signedIn, underWay, wangwu, ...browsers]) expect((await w.session(b)).status).toBe(200);
    await dueForRenewal(w, 'lisi');
    expect((await w.session(underWay)).status).toBe(200);
    expect((await w.marketplaceLogin('zhangsan')).res.status).toBe(302);
    expect((await w.appLogin('lisi')).res.status).toBe(302);
    expect(logLines.filter((l) => /"level":50/.test(l))).toEqual([]);
  });

  it('a value only a removed key opens: the login is refused (503, the cause in the log), reseal names it, and the next applicationSync repairs it', async () => {
    const lost = { id: 'retired-2025', key: randomBytes(32) };
    await storeClientSecret(w, clientSecretSealedWith([lost]));
    await w.restart({ DATA_ENCRYPTION_KEY: NEW }); // the key was removed from the ring, and the server restarted
    logLines.length = 0;

    const page = await w.browser().get(`/sso/login?tenant=${TENANT}`);
    expect(page.status).toBe(503);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const answer = await w.browser().get(`/sso/login?tenant=${TENANT}`, { accept: 'application/json' });
    expect(answer.status).toBe(503);
    expect(await json(answer)).toMatchObject({ error: 'app_secret_unreadable' });
    const marketplace = await w.marketplaceLogin('zhangsan');
    expect(marketplace.res.status).toBe(503);
    const logged = logLines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'sso refused');
    expect(logged[0]).toMatchObject({ level: 40, reason: 'app_secret_unreadable', tenantId: TENANT, detail: expect.stringContaining('key retired-2025, which is not in the ring') });

    const run = await reseal(w, NEW);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/^apps\.client_secret: done, 0 resealed, 1 open with no key of DATA_ENCRYPTION_KEY$/m);

    // The marketplace sends the secret again: accepted, sealed with the current key, logins work.
    expect(await w.s.kit('applicationSync', kit.applicationSync(encryptClientSecret(CLIENT_SECRET), { clientId: CLIENT_ID }))).toMatchObject({ resultCode: '000000' });
    expect(await keysInUse(w)).toEqual({ [idOf(NEW)]: expect.any(Number) });
    expect((await w.appLogin('zhangsan')).res.status).toBe(302);
  });

  it('a session or a login under way whose sealed values no key opens: the session ends at renewal, the login is told to start again', async () => {
    const { browser } = await w.marketplaceLogin('lisi');
    const underWay = w.browser();
    const callback = await w.appCallback('zhangsan', undefined, underWay);
    await w.restart({ DATA_ENCRYPTION_KEY: newKey() }); // NEW removed without a reseal
    await w.sync('applicationSync', kit.applicationSync(encryptClientSecret(CLIENT_SECRET), { clientId: CLIENT_ID }));

    const finished = await underWay.get(callback, { accept: 'application/json' });
    expect(finished.status).toBe(400);
    expect(await json(finished)).toMatchObject({ error: 'invalid_state' });
    await dueForRenewal(w, 'lisi');
    expect((await w.session(browser)).status).toBe(401);
    expect((await w.appLogin('zhangsan', undefined, underWay)).res.status).toBe(302);
  });
});
