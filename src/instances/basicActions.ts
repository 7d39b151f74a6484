import type { Runtime } from '../runtime.js';
import { action, type MarketplaceAction } from '../marketplace/action.js';
import {
  newInstanceBody,
  queryInstanceBody,
  refreshInstanceBody,
  releaseInstanceBody,
  updateInstanceStatusBody,
  upgradeInstanceBody,
} from '../marketplace/basicSchemas.js';
import { appInfoOf, sentAppInfo } from './appInfo.js';
import { newInstance } from './newInstance.js';
import { queryInstance } from './queryInstance.js';
import { refreshInstance } from './refreshInstance.js';
import { updateInstanceStatus } from './updateInstanceStatus.js';
import { releaseInstance } from './releaseInstance.js';
import { upgradeInstance } from './upgradeInstance.js';

/** The six basic lifecycle interfaces at {base}, chosen by the body's `activity` (spec §7). */
export function basicActions(rt: Runtime): Record<string, MarketplaceAction> {
  const queryDeps = { appInfo: appInfoOf(rt.config), sent: sentAppInfo(rt.config), box: rt.box };
  const freezeRules = { retryHorizonMs: rt.config.marketplaceRetryHours * 3_600_000, clockToleranceMs: rt.config.signatureWindowSeconds * 1000 };
  return {
    newInstance: action(newInstanceBody, (trx, body) => newInstance(trx, body, rt.config.provisioning)),
    queryInstance: action(queryInstanceBody, (trx, body) => queryInstance(trx, body, queryDeps)),
    refreshInstance: action(refreshInstanceBody, refreshInstance),
    updateInstanceStatus: action(updateInstanceStatusBody, (trx, body) => updateInstanceStatus(trx, body, freezeRules)),
    releaseInstance: action(releaseInstanceBody, releaseInstance),
    upgradeInstance: action(upgradeInstanceBody, upgradeInstance),
  };
}
