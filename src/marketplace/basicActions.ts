import type { Runtime } from '../runtime.js';
import { action, type MarketplaceAction } from './action.js';
import {
  newInstanceBody,
  queryInstanceBody,
  refreshInstanceBody,
  releaseInstanceBody,
  updateInstanceStatusBody,
  upgradeInstanceBody,
} from './basicSchemas.js';
import { appInfoOf } from '../instances/appInfo.js';
import { newInstance } from '../instances/newInstance.js';
import { queryInstance } from '../instances/queryInstance.js';
import { refreshInstance } from '../instances/refreshInstance.js';
import { updateInstanceStatus } from '../instances/updateInstanceStatus.js';
import { releaseInstance } from '../instances/releaseInstance.js';
import { upgradeInstance } from '../instances/upgradeInstance.js';

/** The six basic lifecycle interfaces at {base}, chosen by the body's `activity` (spec §7). */
export function basicActions(rt: Runtime): Record<string, MarketplaceAction> {
  const appInfo = appInfoOf(rt.config);
  const freezeRules = { retryHorizonMs: rt.config.marketplaceRetryHours * 3_600_000, clockToleranceMs: rt.config.signatureWindowSeconds * 1000 };
  return {
    newInstance: action(newInstanceBody, newInstance),
    queryInstance: action(queryInstanceBody, (trx, body) => queryInstance(trx, body, appInfo)),
    refreshInstance: action(refreshInstanceBody, refreshInstance),
    updateInstanceStatus: action(updateInstanceStatusBody, (trx, body) => updateInstanceStatus(trx, body, freezeRules)),
    releaseInstance: action(releaseInstanceBody, releaseInstance),
    upgradeInstance: action(upgradeInstanceBody, upgradeInstance),
  };
}
