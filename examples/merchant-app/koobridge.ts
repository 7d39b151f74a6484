import type { KoobridgeEvent, MerchantState, Sessions } from './state.js';

/** What `POST /api/v1/sessions/introspect` answers. */
export type Introspection =
  | {
      active: true;
      sessionId: string;
      user: { userName: string; name: string; role: string; orgCode: string; tenantId: string; instanceId: string; appId: string };
      expiresAt: string;
      exp: number;
    }
  | { active: false; reason?: string };

/** koobridge's bearer API, reached on the private network (not through the public host). */
export class KoobridgeApi {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) throw new Error(`koobridge ${method} ${path} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return (await res.json()) as T;
  }
}

/** Beyond this many cached sessions, the expired ones are swept out before another is added. */
const CACHE_SWEEP_AT = 10_000;

/**
 * Who a koobridge cookie belongs to, asked of koobridge and remembered for `ttlMs`. The cache is
 * kept short because it is the time a revocation may go unseen when its event is late (a webhook
 * retried, the events API polled): koobridge ends the session at once, the cache may answer for
 * it until its entry lapses. The events drop entries sooner: session.revoked by its sessionId,
 * user.deauthorized and user.deleted all of that user's.
 */
export class SessionCache implements Sessions {
  private readonly entries = new Map<string, { answer: Promise<Introspection>; until: number }>();
  /** How many times koobridge was asked (the rest came from the cache). */
  introspections = 0;

  constructor(
    private readonly api: KoobridgeApi,
    private readonly ttlMs: number,
  ) {}

  lookup(cookie: string): Promise<Introspection> {
    const now = Date.now();
    const hit = this.entries.get(cookie);
    if (hit && hit.until > now) return hit.answer;
    if (this.entries.size >= CACHE_SWEEP_AT) for (const [k, e] of this.entries) if (e.until <= now) this.entries.delete(k);
    this.introspections++;
    // Requests arriving together share one question; a failure is not remembered.
    const answer = this.api.call<Introspection>('POST', '/api/v1/sessions/introspect', { session: cookie });
    this.entries.set(cookie, { answer, until: now + this.ttlMs });
    answer.catch(() => this.entries.delete(cookie));
    return answer;
  }

  dropSession(sessionId: string): void {
    this.dropWhere((a) => a.active && a.sessionId === sessionId);
  }

  dropUser(instanceId: string, tenantId: string, userName: string): void {
    this.dropWhere((a) => a.active && a.user.instanceId === instanceId && a.user.tenantId === tenantId && a.user.userName === userName);
  }

  private dropWhere(match: (a: Introspection) => boolean) {
    for (const [k, e] of this.entries) {
      // A question still in flight is dropped too: its answer may predate the event.
      void e.answer.then(
        (a) => match(a) && this.entries.get(k) === e && this.entries.delete(k),
        () => undefined,
      );
    }
  }
}

/**
 * Follows `GET /api/v1/events` from a cursor, for an application without a webhook endpoint: a
 * full page is followed at once, an empty or short one waits `pollMs`. Stops when `stop` is called.
 */
export function followEvents(api: KoobridgeApi, state: MerchantState, pollMs: number, log: (line: string) => void): { stop(): void } {
  let cursor = '0';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const limit = 100;
  const tick = async () => {
    let full = false;
    try {
      const page = await api.call<{ data: KoobridgeEvent[]; next: string }>('GET', `/api/v1/events?after=${cursor}&limit=${limit}`);
      for (const event of page.data) state.apply(event);
      cursor = page.next;
      full = page.data.length === limit;
    } catch (err) {
      // koobridge down, or (410) events past its retention: said, and tried again later.
      log(`events: ${(err as Error).message}`);
    }
    if (!stopped) timer = setTimeout(() => void tick(), full ? 0 : pollMs);
  };
  void tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
