/**
 * A browser for our server: keeps its cookies, never follows redirects (the tests look at each
 * hop), and sends Accept like a browser unless told otherwise.
 */
export class Browser {
  /** `cookies`: the jar, shared by the Browsers of one host (cookies ignore the port). */
  constructor(
    readonly origin: string,
    readonly cookies = new Map<string, string>(),
  ) {}

  async get(pathOrUrl: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request('GET', pathOrUrl, headers);
  }

  async post(pathOrUrl: string, headers: Record<string, string> = {}, body?: string): Promise<Response> {
    return this.request('POST', pathOrUrl, headers, body);
  }

  /** The raw Set-Cookie lines of the last answer, to check the cookie's attributes. */
  lastSetCookie: string[] = [];

  private async request(method: string, pathOrUrl: string, headers: Record<string, string>, body?: string): Promise<Response> {
    const url = new URL(pathOrUrl, this.origin);
    if (url.origin !== this.origin) throw new Error(`this browser only talks to ${this.origin}, not ${url.origin}`);
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', ...(cookie ? { cookie } : {}), ...headers },
      body,
    });
    this.lastSetCookie = res.headers.getSetCookie();
    for (const line of this.lastSetCookie) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const i = pair!.indexOf('=');
      const [name, value] = [pair!.slice(0, i), pair!.slice(i + 1)];
      const gone = value === '' || attrs.some((a) => /^max-age=0$/i.test(a));
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
}

/**
 * A browser that follows redirects from site to site (koobridge, the IdP), one cookie jar per host
 * as browsers keep them, so a whole sign-in runs as a person's browser would run it.
 */
export class Navigator {
  private readonly jars = new Map<string, Map<string, string>>();
  /** Every address the last navigation visited, in order. */
  hops: URL[] = [];

  /** The Browser for `url`'s origin, on its host's jar. */
  at(url: string | URL): Browser {
    const { origin, hostname } = new URL(url);
    if (!this.jars.has(hostname)) this.jars.set(hostname, new Map());
    return new Browser(origin, this.jars.get(hostname));
  }

  /**
   * GETs `start` and follows the redirects. `visit` may change each address before it is fetched
   * (a script adding login_hint); at an address `stopAt` accepts, it stops without fetching it.
   */
  async navigate(start: string | URL, options: { visit?: (url: URL) => void; stopAt?: (url: URL) => boolean } = {}): Promise<{ url: URL; res?: Response }> {
    this.hops = [];
    return this.follow(new URL(start), (url) => this.at(url).get(url.href), options);
  }

  /** POSTs a form (as a login page's button does), then follows the redirects. */
  async submit(action: string | URL, form: Record<string, string>): Promise<{ url: URL; res?: Response }> {
    this.hops = [];
    const url = new URL(action);
    return this.follow(url, () => this.at(url).post(url.href, { 'content-type': 'application/x-www-form-urlencoded' }, new URLSearchParams(form).toString()), {});
  }

  private async follow(first: URL, request: (url: URL) => Promise<Response>, options: { visit?: (url: URL) => void; stopAt?: (url: URL) => boolean }) {
    let url = first;
    let fetchIt = request;
    for (let hop = 0; hop < 20; hop++) {
      options.visit?.(url);
      this.hops.push(url);
      if (options.stopAt?.(url)) return { url };
      const res = await fetchIt(url);
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return { url, res };
      url = new URL(location, url);
      fetchIt = (next) => this.at(next).get(next.href);
    }
    throw new Error(`too many redirects: ${this.hops.map((h) => h.href).join(' -> ')}`);
  }
}

/** A JSON answer's body, untyped (the tests assert its shape). */
export const json = (res: Response): Promise<any> => res.json();
