// oidc-provider 8 ships no type declarations: the parts the OneAccess look-alike uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** The callbacks the configuration passes (their ctx is oidc-provider's koa context). */
  interface Configuration {
    issueRefreshToken?: (ctx: any, client: any, code: any) => Promise<boolean>;
    interactions?: { url: (ctx: any, interaction: { uid: string }) => string; policy?: unknown };
    findAccount?: (ctx: any, sub: string) => Promise<unknown>;
    loadExistingGrant?: (ctx: any) => Promise<unknown>;
    renderError?: (ctx: any, out: Record<string, unknown>, err: unknown) => Promise<void>;
    [setting: string]: unknown;
  }

  /** A stored token: whose it is and when it lapses (epoch seconds). */
  interface StoredToken {
    accountId: string;
    iat: number;
    exp: number;
  }

  export interface InteractionDetails {
    uid: string;
    params: Record<string, unknown>;
    /** The browser's session at the IdP when it is already signed in. */
    session?: { accountId?: string };
  }

  export default class Provider {
    constructor(issuer: string, configuration: Configuration);
    callback(): (req: IncomingMessage, res: ServerResponse) => unknown;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: unknown, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
    on(event: string, listener: (...args: any[]) => void): this;
    readonly AccessToken: { find(token: string): Promise<StoredToken | undefined> };
    readonly RefreshToken: { find(token: string): Promise<StoredToken | undefined> };
  }

  /** The prompts an authorization request may need (login, consent) and the checks that ask for them. */
  export const interactionPolicy: {
    base(): { get(name: string): { checks: { add(check: unknown): void } } | undefined };
    Check: new (reason: string, description: string, check: (ctx: any) => boolean | Promise<boolean>) => unknown;
  };
}

declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  /** The provider's in-memory store of grants, sessions and tokens. */
  export default class MemoryAdapter {
    constructor(model: string);
  }
}
