import { afterEach, describe, expect, it } from 'vitest';
import { stores } from '../helpers/stores.js';
import { freshStore, storeUrl, type FreshStore } from '../helpers/database.js';
import { childEnv, spawnChild, type ChildServer } from '../helpers/child.js';

const children: ChildServer[] = [];
const stores_: FreshStore[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    c.proc.kill('SIGKILL');
    await c.exited;
  }
  for (const f of stores_.splice(0)) await f.drop();
});

/** Without the application's address, sign-ins land on koobridge's own page: the start says so, loudly in production. */
describe.each(stores)('the start-up lines about where sign-ins land, on %s', (store) => {
  const start = async (env: Record<string, string>) => {
    const fresh = await freshStore(store);
    stores_.push(fresh);
    const child = spawnChild(
      childEnv({ NODE_ENV: 'production', PUBLIC_URL: 'https://bridge.example.com', DATA_DIR: fresh.dataDir, DATABASE_URL: storeUrl(fresh), ...env }),
    );
    children.push(child);
    await child.listening();
    return child.output();
  };

  it('in production without APP_ORIGIN: names the landing page and asks for APP_ORIGIN before going live', async () => {
    const output = await start({});
    expect(output).toContain("APP_ORIGIN is not set: after sign-in people land on koobridge's own page https://bridge.example.com/sso/account");
    expect(output).toContain('Set APP_ORIGIN to the application');
  });

  it('with APP_ORIGIN: says nothing of it', async () => {
    expect(await start({ APP_ORIGIN: 'https://app.example.com' })).not.toContain('APP_ORIGIN is not set');
  });
});
