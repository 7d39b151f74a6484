import { z } from 'zod';

/**
 * What the merchant's application learns about a sign-in session (GET /sso/session, POST
 * /api/v1/sessions/introspect), as zod schemas: the answers are typed by them and the OpenAPI
 * document is generated from them.
 */

const endCause = z
  .enum(['logged_out', 'expired', 'idp_refused', 'deauthorized', 'removed', 'frozen', 'released', 'replaced', 'admin'])
  .describe('why the session ended');

export const sessionSchema = z
  .object({
    sessionId: z
      .string()
      .regex(/^ses_[0-9a-f]{32}$/)
      .describe('the public id session.revoked events name the session by (never the cookie value): end your own session when one names it'),
    user: z.object({
      userName: z.string(),
      name: z.string().nullable(),
      role: z.string().nullable(),
      orgCode: z.string().nullable(),
      tenantId: z.string(),
      instanceId: z.string(),
      appId: z.string(),
    }),
    expiresAt: z.iso.datetime().describe('when the session ends at the latest (idle or absolute limit)'),
    renewalPending: z.literal(true).optional().describe("its access token lapsed and the identity provider's renewal has not finished: ask again soon"),
  })
  .meta({ id: 'Session', description: 'The signed-in person and when the session ends' });
export type SessionView = z.infer<typeof sessionSchema>;

/** RFC 7662 in spirit: an unknown, ended or revoked session is simply not active. */
export const introspectionSchema = z.union([
  sessionSchema.extend({ active: z.literal(true), exp: z.number().int().describe('expiresAt in seconds since the epoch') }),
  z.object({ active: z.literal(false), reason: endCause.optional().describe('why it ended, while the end is remembered') }),
]);
export type Introspection = z.infer<typeof introspectionSchema>;

export const noSessionSchema = z.union([
  z.object({ error: z.literal('no_session'), message: z.string() }),
  z.object({ error: z.literal('session_ended'), reason: endCause, endedAt: z.iso.datetime(), message: z.string() }),
]);
export type NoSession = z.infer<typeof noSessionSchema>;
