import { fetchProtectedResource, type Configuration } from 'openid-client';
import { z } from 'zod';
import { validate } from '../marketplace/validation.js';
import { classifyIdpError } from './idpErrors.js';
import { SsoRefusal } from './refusal.js';

/**
 * The userinfo of the tenant's IdP (spec §6.3.4). It has no `sub`, which is why it is fetched as a
 * protected resource (openid-client's fetchUserInfo insists on `sub`) and validated here.
 */
const userinfoSchema = z.object({
  userName: z.string().min(1).max(64),
  /** The tenantId; checked against the login's tenant when the IdP sends it. */
  tenant: z.string().max(64).optional(),
  name: z.string().max(64).nullish(),
  role: z.string().max(32).nullish(),
  organizationCode: z.string().max(64).nullish(),
});

export type Userinfo = z.infer<typeof userinfoSchema>;

export async function fetchUserinfo(config: Configuration, accessToken: string): Promise<Userinfo> {
  const endpoint = new URL(config.serverMetadata().userinfo_endpoint!);
  let res: Response;
  try {
    res = await fetchProtectedResource(config, accessToken, endpoint, 'GET', undefined, new Headers({ accept: 'application/json' }));
  } catch (err) {
    const failure = classifyIdpError(err, config.timeout ?? 30);
    throw new SsoRefusal(failure.kind === 'unavailable' ? 'idp_unavailable' : 'idp_bad_response', `userinfo at ${endpoint.origin}: ${failure.message}`);
  }
  if (res.status !== 200) {
    throw new SsoRefusal(res.status >= 500 ? 'idp_unavailable' : 'idp_bad_response', `userinfo at ${endpoint.origin} answered HTTP ${res.status}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new SsoRefusal('idp_bad_response', `userinfo at ${endpoint.origin} did not answer JSON`);
  }
  const parsed = validate(userinfoSchema, body);
  if ('message' in parsed) throw new SsoRefusal('idp_bad_response', `userinfo at ${endpoint.origin}: ${parsed.message}`);
  return parsed.data;
}
