import type Router from '@koa/router';
import { z } from 'zod';
import { exactRouter } from './access.js';
import type { Runtime } from '../runtime.js';
import { instanceView, listInstances } from '../instances/instanceView.js';
import { instancePageSchema, instanceSchema } from '../instances/viewSchemas.js';
import { parseInput } from '../marketplace/validation.js';
import { NotFound } from '../errors.js';
import { flag, pageParams, updatedSince } from './apiSchemas.js';
import { problem, type Operation } from './openapi.js';
import { readJsonObject } from './body.js';
import { provisionedBody, provisioningFailedBody, reportProvisioned, reportProvisioningFailed } from '../instances/provisioning.js';
import { appInfoSetSchema, provisioningReportSchema, usageReportSchema } from '../instances/viewSchemas.js';
import { reportUsage, usageBody } from '../instances/usage.js';
import { appInfoBody, setAppInfo } from '../instances/appInfoReports.js';

/** A provisioning report is a few URLs and short texts. */
const BODY_LIMIT_BYTES = 16_384;

export const instancesQuery = z.object({
  ...pageParams,
  status: z.enum(['active', 'frozen', 'released']).optional().describe('only the instances in this status'),
  updatedSince: updatedSince.describe('only the instances a lifecycle call changed at or after this time: epoch milliseconds, or ISO 8601 with its zone'),
  includeDeleted: flag.optional().describe('true: released instances too (status=released lists them in any case)'),
});

/**
 * GET /api/v1/instances: the instances, a page at a time; GET /api/v1/instances/{instanceId}: one
 * with its lifecycle status, expiry, orders and tenants (bearer API_TOKEN).
 */
export function instanceApiRouter(rt: Runtime): Router {
  const router = exactRouter({ prefix: '/api/v1' });
  router.get('/instances', async (ctx) => {
    ctx.body = await listInstances(rt.reads, parseInput(instancesQuery, ctx.query));
  });
  router.get('/instances/:instanceId', async (ctx) => {
    const view = await instanceView(rt.reads, ctx.params.instanceId!, rt.config.provisioningTimeoutMinutes * 60_000);
    if (!view) throw new NotFound(`instance ${ctx.params.instanceId} is unknown`);
    ctx.body = view;
  });
  // The merchant's application settles an instance PROVISIONING=async left waiting.
  router.post('/instances/:instanceId/provisioned', async (ctx) => {
    const input = parseInput(provisionedBody, await readJsonObject(ctx, BODY_LIMIT_BYTES));
    ctx.body = { instanceId: ctx.params.instanceId!, state: 'provisioned', ...(await reportProvisioned(rt, ctx.params.instanceId!, input)) };
  });
  router.post('/instances/:instanceId/provisioning-failed', async (ctx) => {
    const { reason } = parseInput(provisioningFailedBody, await readJsonObject(ctx, BODY_LIMIT_BYTES));
    ctx.body = { instanceId: ctx.params.instanceId!, state: 'failed', ...(await reportProvisioningFailed(rt, ctx.params.instanceId!, reason)) };
  });
  // The merchant's application sets an instance's appInfo, in either provisioning mode.
  router.put('/instances/:instanceId/app-info', async (ctx) => {
    const input = parseInput(appInfoBody, await readJsonObject(ctx, BODY_LIMIT_BYTES));
    ctx.body = await setAppInfo(rt, ctx.params.instanceId!, input);
  });
  // Pay-per-use: the application reports usage; queryInstance answers the latest.
  router.post('/instances/:instanceId/usage', async (ctx) => {
    const input = parseInput(usageBody, await readJsonObject(ctx, BODY_LIMIT_BYTES));
    ctx.body = await reportUsage(rt, ctx.params.instanceId!, input);
  });
  return router;
}

export const instanceOperations: Operation[] = [
  {
    method: 'get',
    path: '/api/v1/instances',
    tag: 'instances',
    summary: 'The instances the lifecycle calls created, by instanceId, each with its tenant count',
    description: 'An instanceId known only from kit calls is not listed (its tenants are in the tenant list).',
    query: instancesQuery,
    responses: { 200: { description: 'a page of instances', schema: instancePageSchema } },
  },
  {
    method: 'get',
    path: '/api/v1/instances/{instanceId}',
    tag: 'instances',
    summary: 'One instance: lifecycle status, expiry, orders and tenants',
    responses: { 200: { description: 'the instance', schema: instanceSchema } },
  },
  {
    method: 'post',
    path: '/api/v1/instances/{instanceId}/provisioned',
    tag: 'instances',
    summary: 'Report an instance provisioned (PROVISIONING=async): queryInstance answers this appInfo from now on',
    description: 'The same report again succeeds with changed=false; a different one is refused (409).',
    body: provisionedBody,
    responses: { 200: { description: 'the instance is provisioned', schema: provisioningReportSchema }, 404: problem('the instance is not waiting for provisioning'), 409: problem('the instance was already reported otherwise') },
  },
  {
    method: 'post',
    path: '/api/v1/instances/{instanceId}/provisioning-failed',
    tag: 'instances',
    summary: 'Report that an instance could not be provisioned: queryInstance answers 000005 with the reason',
    description: 'The same report again succeeds with changed=false; a different one is refused (409).',
    body: provisioningFailedBody,
    responses: { 200: { description: 'the instance is failed', schema: provisioningReportSchema }, 404: problem('the instance is not waiting for provisioning'), 409: problem('the instance was already reported otherwise') },
  },
  {
    method: 'put',
    path: '/api/v1/instances/{instanceId}/app-info',
    tag: 'instances',
    summary: 'Set appInfo fields of one instance: queryInstance answers them instead of the provisioning report and the templates',
    description: 'Each field given is set, null clears it, a field left out stays as it was. Any time, PROVISIONING=sync too. The password is kept sealed and never answered here.',
    body: appInfoBody,
    responses: { 200: { description: 'the appInfo queryInstance now answers', schema: appInfoSetSchema }, 404: problem('no such instance, or it was released') },
  },
  {
    method: 'post',
    path: '/api/v1/instances/{instanceId}/usage',
    tag: 'instances',
    summary: 'Report pay-per-use usage of one instance: queryInstance answers the latest per relatedInstanceId in usageInfo',
    description: 'A report older (by statisticalTime) than the one kept for its relatedInstanceId is answered kept=false and changes nothing; the same statisticalTime again replaces the values.',
    body: usageBody,
    responses: { 200: { description: 'the usage as queryInstance answers it', schema: usageReportSchema }, 404: problem('no such instance, or it was released') },
  },
];
