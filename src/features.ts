import type { Runtime } from './runtime.js';
import type { RouterFactory } from './http/app.js';
import type { Job } from './jobs/index.js';
import { basicRouter } from './http/basicRouter.js';
import { instanceApiRouter } from './http/instanceApiRouter.js';
import { heldSyncRouter } from './http/heldSyncRouter.js';
import { ssoFeature } from './sso/feature.js';

/**
 * What each feature adds to the server beside the kit calls and the directory API: routers,
 * node-cron jobs, and set-up steps (e.g. subscribing to directory changes). One place to register.
 */
export interface Feature {
  name: string;
  routers?: RouterFactory[];
  jobs?: Job[];
  setup?(rt: Runtime): void;
}

export const features: Feature[] = [
  { name: 'instance lifecycle', routers: [basicRouter, instanceApiRouter] },
  { name: 'held full department syncs', routers: [heldSyncRouter] },
  ssoFeature,
];
