import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.js';
import { renewDueSessions } from '../../src/sso/jobs.js';
import { stores } from '../helpers/stores.js';
import type { Browser } from './browser.js';
import { SHORT_REFRESH_TOKENS, advance, startWorld, worldFor, type World } from './world.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const sessionRow = (w: World, userName: string) => w.s.rt.db('sso_sessions').where({ user_name: userName }).orderBy('created_at', 'desc').first();

/** The access token as stored, opened the way the server does, to show the IdP accepts it. */
async function storedAccessTokenWorks(w: World, row: { id_hash: string; access_token: string }) {
  const token = w.s.rt.box.open(row.access_token, `ssoSession:${row.id_hash}:access`);
  const res = await fetch(`${w.idp.url}/api/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });
  return res.status === 200;
}

/**
 * Makes sso_sessions refuse new tokens (a trigger), as a database briefly unreachable would: after
 * `failures` refused writes, or on repair(), it takes them again.
 */
async function breakTokenWrites(w: World, failures = Infinity) {
  const db = w.s.rt.db;
  await db.raw(
    w.s.store === 'mysql'
      ? `CREATE TRIGGER tokens_unwritable BEFORE UPDATE ON sso_sessions FOR EACH ROW
         BEGIN IF NOT (NEW.access_token <=> OLD.access_token) THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'tokens unwritable'; END IF; END`
      : `CREATE TRIGGER tokens_unwritable BEFORE UPDATE OF access_token ON sso_sessions
         WHEN NEW.access_token IS NOT OLD.access_token BEGIN SELECT RAISE(ABORT, 'tokens unwritable'); END`,
  );
  let refused = 0;
  let repaired: Promise<unknown> | undefined;
  const onError = (err: Error) => {
    if (!/tokens unwritable/.test(err.message)) return;
    if (++refused >= failures) void repair();
  };
  const repair = () => {
    db.off('query-error', onError);
    // then() sends it now: a knex query runs only once awaited.
    return (repaired ??= db.raw('DROP TRIGGER IF EXISTS tokens_unwritable').then(() => undefined));
  };
  db.on('query-error', onError);
  return { refused: () => refused, repair };
}

describe.each(stores)('SSO session renewal on %s', (store) => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld(store);
  });
  afterAll(() => w.stop());
  afterEach(() => {
    vi.useRealTimers();
  });

  it('renews once the access token lapsed (2 h), stores the rotated refresh token, and keeps the user signed in', async () => {
    const { browser } = await w.marketplaceLogin('zhangsan');
    const before = await sessionRow(w, 'zhangsan');
    const refreshes = w.idp.events.refreshes;

    advance(2 * HOUR + MINUTE);
    expect(await storedAccessTokenWorks(w, before)).toBe(false); // the IdP agrees it lapsed
    const session = await w.session(browser);
    expect(session.status).toBe(200);
    expect(session.body.user.userName).toBe('zhangsan');
    expect(w.idp.events.refreshes).toBe(refreshes + 1);

    const after = await sessionRow(w, 'zhangsan');
    expect(after.version).toBe(before.version + 1);
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(Number(after.access_expires_at)).toBeGreaterThan(Date.now() + 7100_000);
    expect(await storedAccessTokenWorks(w, after)).toBe(true);

    // Renewed tokens are good for 2 h: the next check does not call the IdP again.
    expect((await w.session(browser)).status).toBe(200);
    expect(w.idp.events.refreshes).toBe(refreshes + 1);
  });

  it('renews ahead of time when the session is used within the margin (5 min) before expiry', async () => {
    const { browser } = await w.marketplaceLogin('lisi');
    const refreshes = w.idp.events.refreshes;
    advance(2 * HOUR - 10 * MINUTE);
    expect((await w.session(browser)).status).toBe(200);
    expect(w.idp.events.refreshes).toBe(refreshes);
    advance(6 * MINUTE);
    expect((await w.session(browser)).status).toBe(200);
    expect(w.idp.events.refreshes).toBe(refreshes + 1);
  });

  it('concurrent requests to two servers sharing the database spend the refresh token once; the grant survives', async () => {
    const second: RunningServer = await startServer(w.s.rt.config, { jobs: false });
    try {
      const { browser } = await w.marketplaceLogin('zhangsan');
      const id = browser.cookies.get('koobridge_session')!;
      const refreshes = w.idp.events.refreshes;
      const revoked = w.idp.events.grantsRevoked;
      const errors = w.idp.events.grantErrors.length;

      advance(2 * HOUR + MINUTE);
      const check = (origin: string) => fetch(`${origin}/sso/session`, { headers: { cookie: `koobridge_session=${id}`, accept: 'application/json' } });
      const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => check(i % 2 ? second.url : w.s.url)));
      expect(answers.map((a) => a.status)).toEqual(Array(24).fill(200));
      expect(w.idp.events.refreshes).toBe(refreshes + 1);
      expect(w.idp.events.grantsRevoked).toBe(revoked);
      expect(w.idp.events.grantErrors.length).toBe(errors);
      expect(await storedAccessTokenWorks(w, await sessionRow(w, 'zhangsan'))).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('keeps the session when the token endpoint cannot be reached, and renews on a later use', async () => {
    const { browser } = await w.marketplaceLogin('lisi');
    const refreshes = w.idp.events.refreshes;
    advance(2 * HOUR + MINUTE);
    w.idp.tokenDown = true;
    try {
      expect((await w.session(browser)).status).toBe(200);
      expect(await sessionRow(w, 'lisi')).toMatchObject({ version: 0, renew_failures: 1, renew_owner: null });
    } finally {
      w.idp.tokenDown = false;
    }
    // The IdP failed: its tenant's renewals pause for SSO_IDP_BACKOFF_SECONDS (15 s), then resume.
    expect((await w.session(browser)).body).toMatchObject({ renewalPending: true });
    expect(w.idp.events.refreshes).toBe(refreshes);
    advance(16_000);
    expect((await w.session(browser)).status).toBe(200);
    expect(w.idp.events.refreshes).toBe(refreshes + 1);
    expect(await sessionRow(w, 'lisi')).toMatchObject({ version: 1, renew_failures: 0 });
  });

  it('retries storing renewed tokens when the database refuses the write: the session survives and the next renewal is accepted', async () => {
    const { browser } = await w.marketplaceLogin('zhangsan');
    const before = await sessionRow(w, 'zhangsan');
    const { refreshes, grantsRevoked } = w.idp.events;
    const errors = w.idp.events.grantErrors.length;

    advance(2 * HOUR + MINUTE);
    const outage = await breakTokenWrites(w, 2);
    try {
      expect((await w.session(browser)).status).toBe(200);
      expect(outage.refused()).toBeGreaterThanOrEqual(2);
    } finally {
      await outage.repair();
    }
    const renewed = await sessionRow(w, 'zhangsan');
    expect(renewed).toMatchObject({ version: before.version + 1, renew_owner: null });
    expect(await storedAccessTokenWorks(w, renewed)).toBe(true);

    advance(2 * HOUR + MINUTE);
    expect((await w.session(browser)).status).toBe(200);
    expect(w.idp.events.refreshes).toBe(refreshes + 2);
    expect(w.idp.events.grantErrors.slice(errors)).toEqual([]);
    expect(w.idp.events.grantsRevoked).toBe(grantsRevoked);
  });

  it('keeps renewed tokens it cannot store in memory, and stores them once the database is back instead of spending the old refresh token', async () => {
    const { browser } = await w.marketplaceLogin('lisi');
    const before = await sessionRow(w, 'lisi');
    const { refreshes, grantsRevoked } = w.idp.events;
    const errors = w.idp.events.grantErrors.length;

    advance(2 * HOUR + MINUTE);
    const outage = await breakTokenWrites(w);
    try {
      expect((await w.session(browser)).status).toBe(200);
      expect(outage.refused()).toBeGreaterThan(1);
      expect((await sessionRow(w, 'lisi')).version).toBe(before.version);
    } finally {
      await outage.repair();
    }

    // A minute later, past the renewal's lease: the tokens in memory are stored, the IdP is not asked again.
    advance(MINUTE);
    expect((await w.session(browser)).status).toBe(200);
    expect(w.idp.events.refreshes).toBe(refreshes + 1);
    const stored = await sessionRow(w, 'lisi');
    expect(stored.version).toBe(before.version + 1);
    expect(await storedAccessTokenWorks(w, stored)).toBe(true);

    advance(2 * HOUR + MINUTE);
    expect((await w.session(browser)).status).toBe(200);
    expect(w.idp.events.refreshes).toBe(refreshes + 2);
    expect(w.idp.events.grantErrors.slice(errors)).toEqual([]);
    expect(w.idp.events.grantsRevoked).toBe(grantsRevoked);
  });

  it('cannot save a grant whose refresh answer was lost after the IdP rotated the token: the session ends, counted as refresh_lost', async () => {
    const { browser } = await w.marketplaceLogin('zhangsan');
    const lost = await w.sessionsEnded('refresh_lost');
    advance(2 * HOUR + MINUTE);
    w.idp.tokenAnswerLost = true;
    try {
      expect((await w.session(browser)).status).toBe(200);
    } finally {
      w.idp.tokenAnswerLost = false;
    }
    // The lost answer counts as an IdP failure: the renewal is tried again once the pause is over.
    advance(16_000);
    expect((await w.session(browser)).status).toBe(401);
    expect(await w.sessionsEnded('refresh_lost')).toBe(lost + 1);
  });

  it('ends a session left idle beyond SSO_SESSION_IDLE_MINUTES (8 h) without asking the IdP', async () => {
    const { browser } = await w.marketplaceLogin('lisi');
    const refreshes = w.idp.events.refreshes;
    const idle = await w.sessionsEnded('idle');
    advance(8 * HOUR + MINUTE);
    expect((await w.session(browser)).status).toBe(401);
    expect(w.idp.events.refreshes).toBe(refreshes);
    expect(await w.sessionsEnded('idle')).toBe(idle + 1);
  });

  it('the renewal job renews sessions used lately whose tokens lapse within the margin, and leaves idle ones', async () => {
    const active = await w.marketplaceLogin('zhangsan');
    const idle = await w.marketplaceLogin('lisi');
    const ids = async (b: Browser) => (await w.s.rt.db('sso_sessions').where('id_hash', (await sessionRow(w, b === active.browser ? 'zhangsan' : 'lisi')).id_hash).first()).id_hash;
    const activeHash = await ids(active.browser);
    const idleHash = await ids(idle.browser);

    advance(2 * HOUR - 10 * MINUTE);
    expect((await w.session(active.browser)).status).toBe(200); // used: last seen now
    advance(6 * MINUTE); // both tokens now lapse within 5 min
    const refreshes = w.idp.events.refreshes;
    const result = await renewDueSessions(w.s.rt);
    expect(result).toMatchObject({ renewed: 1, ended: 0, failed: 0 });
    expect(w.idp.events.refreshes).toBe(refreshes + 1);
    const rows = await w.s.rt.db('sso_sessions').whereIn('id_hash', [activeHash, idleHash]);
    expect(rows.find((r) => r.id_hash === activeHash).version).toBe(1);
    expect(rows.find((r) => r.id_hash === idleHash).version).toBe(0);
    // A second run finds nothing due.
    expect((await renewDueSessions(w.s.rt)).due).toBe(0);
  });
});

describe.each(stores)('SSO refresh token expiry on %s', (store) => {
  const world = worldFor(store, SHORT_REFRESH_TOKENS);

  it('ends the session when the IdP refuses an expired refresh token (invalid_grant)', async () => {
    const w = world();
    const { browser } = await w.marketplaceLogin('zhangsan');
    advance(3 * HOUR + MINUTE);
    const errors = w.idp.events.grantErrors.length;
    expect((await w.session(browser)).status).toBe(401);
    expect(w.idp.events.grantErrors.slice(errors)).toEqual([expect.stringMatching(/^invalid_grant/)]);
    expect(await w.s.rt.db('sso_sessions').where({ user_name: 'zhangsan' })).toEqual([]);
    expect((await w.session(browser)).status).toBe(401);
    expect(await w.sessionsEnded('refresh_rejected')).toBe(1);
  });

  it("never outlives the refresh token's 30 days: the absolute end is reached without asking the IdP", async () => {
    const w = world();
    const { browser } = await w.marketplaceLogin('lisi');
    const row = await sessionRow(w, 'lisi');
    expect(Number(row.expires_at) - Number(row.created_at)).toBe(30 * 24 * HOUR);
    const refreshes = w.idp.events.refreshes;
    const errors = w.idp.events.grantErrors.length;
    advance(30 * 24 * HOUR + MINUTE);
    expect((await w.session(browser)).status).toBe(401);
    expect(w.idp.events.refreshes).toBe(refreshes);
    expect(w.idp.events.grantErrors.length).toBe(errors);
    expect(await w.sessionsEnded('absolute')).toBe(1);
  });
});
