/**
 * A browser for our server: keeps its cookies, never follows redirects (the tests look at each
 * hop), and sends Accept like a browser unless told otherwise.
 */
export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(readonly origin: string) {}

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

/** A JSON answer's body, untyped (the tests assert its shape). */
export const json = (res: Response): Promise<any> => res.json();
