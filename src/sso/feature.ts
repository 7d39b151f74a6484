import type { Feature } from '../features.js';
import { ssoRouter } from '../http/ssoRouter.js';
import { ssoState } from './context.js';
import { ssoJobs } from './jobs.js';
import { revokeSessions } from './revocation.js';

/** Single sign-on: its routes, the renewal and purge jobs, and the directory changes it reacts to. */
export const ssoFeature: Feature = {
  name: 'sso',
  routers: [ssoRouter],
  jobs: ssoJobs,
  setup(rt) {
    const { clients } = ssoState(rt);
    rt.changes.subscribe({ inTransaction: revokeSessions, afterCommit: (change) => clients.forget(change) });
  },
};
