// oidc-provider 8 ships no type declarations: the parts the loopback IdP uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** The callbacks the configuration passes (their ctx is oidc-provider's koa context). */
  interface Configuration {
    issueRefreshToken?: (ctx: any, client: any, code: any) => Promise<boolean>;
    interactions?: { url: (ctx: any, interaction: { uid: string }) => string };
    findAccount?: (ctx: any, sub: string) => Promise<unknown>;
    loadExistingGrant?: (ctx: any) => Promise<unknown>;
    renderError?: (ctx: any, out: Record<string, unknown>, err: unknown) => Promise<void>;
    [setting: string]: unknown;
  }

  export default class Provider {
    constructor(issuer: string, configuration: Configuration);
    callback(): (req: IncomingMessage, res: ServerResponse) => unknown;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: unknown, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
    on(event: string, listener: (...args: any[]) => void): this;
    readonly AccessToken: { find(token: string): Promise<{ accountId: string } | undefined> };
  }
}

declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  /** The provider's in-memory store of grants, sessions and tokens. */
  export default class MemoryAdapter {
    constructor(model: string);
  }
}
