import type { Notice } from '../marketplace/action.js';
import type { AuditRecord } from '../store/audit.js';

// What the signed-call pipeline leaves on ctx.state for the middleware around it (the request log,
// the metrics). Declared here once, so every reader sees the same types.
declare module 'koa' {
  interface DefaultState {
    /** The audit record of a marketplace call; absent on every other request. */
    audit?: AuditRecord;
    /** Our clock minus the call's timestamp; `verified` once its signature held. */
    clockSkew?: { seconds: number; verified: boolean };
    /** The kind of notice the call left for the operator. */
    notice?: Notice['kind'];
  }
}
