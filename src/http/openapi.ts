import type Router from '@koa/router';
import { z } from 'zod';
import { exactRouter, isPublicPath, type PublicPath } from './access.js';
import { problemSchema } from './problems.js';

/** One answer of an operation: JSON matching `schema`, or a body of another media type. */
export interface Answer {
  description: string;
  schema?: z.ZodType;
  /** application/json unless told. */
  mediaType?: string;
}

/**
 * One route as the OpenAPI document describes it. Each router exports the list of its own next to
 * its handlers, with the very zod schemas the handlers parse their input with; src/features.ts
 * hands every feature's list to the document, and a test checks that each registered route has
 * its description and each description its route.
 */
export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The full path as OpenAPI writes it, parameters in braces: /api/v1/tenants/{tenantId}. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** The schema the handler validates ctx.query with. */
  query?: z.ZodObject;
  /** The schema the handler validates the JSON body with. */
  body?: z.ZodType;
  /** By status; the refusals every operation of its kind shares are added (see sharedRefusals). */
  responses: Record<number, Answer>;
}

/** An answer that is a refusal: `{error, message}`. */
export const problem = (description: string): Answer => ({ description, schema: problemSchema });

/** What any operation may answer besides its own: the edge's checks, and what its kind of input can get wrong. */
function sharedRefusals(op: Operation, open: boolean): Record<number, Answer> {
  const refusals: Record<number, Answer> = {
    400: problem('bad input (a query parameter, the body, a malformed Host header): the message names what is wrong'),
  };
  if (!open) refusals[401] = problem('no valid API token (Authorization: Bearer API_TOKEN)');
  if (op.path.includes('{')) refusals[404] = problem('what the path names is not there');
  if (op.body) refusals[413] = problem('the body is larger than the limit');
  return refusals;
}

/**
 * zod's JSON Schema (2020-12, the dialect of OpenAPI 3.1) with the schemas that carry an id moved
 * to the document's components: zod puts them in `$defs`, which inside an OpenAPI document would
 * be looked up at the document's root.
 */
class SchemaWriter {
  readonly components: Record<string, unknown> = {};
  private readonly componentTexts = new Map<string, string>();

  write(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
    const text = JSON.stringify(z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'throw' })).replaceAll('"#/$defs/', '"#/components/schemas/');
    const inline = JSON.parse(text) as { $schema?: string; $defs?: Record<string, unknown> };
    const defs = inline.$defs ?? {};
    delete inline.$schema;
    delete inline.$defs;
    for (const [id, def] of Object.entries(defs)) {
      const defText = JSON.stringify(def);
      const known = this.componentTexts.get(id);
      if (known !== undefined && known !== defText) throw new Error(`two different schemas carry the id ${id}`);
      this.componentTexts.set(id, defText);
      this.components[id] = def;
    }
    return inline;
  }
}

function parametersOf(op: Operation, schemas: SchemaWriter): object[] {
  const inPath = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  if (!op.query) return inPath;
  const query = schemas.write(op.query, 'input') as { properties: Record<string, { description?: string }>; required?: string[] };
  const inQuery = Object.entries(query.properties).map(([name, { description, ...schema }]) => ({
    name,
    in: 'query',
    required: query.required?.includes(name) ?? false,
    ...(description === undefined ? {} : { description }),
    schema,
  }));
  return [...inPath, ...inQuery];
}

function responseOf(answer: Answer, schemas: SchemaWriter): object {
  const mediaType = answer.mediaType ?? 'application/json';
  if (!answer.schema) return { description: answer.description };
  return { description: answer.description, content: { [mediaType]: { schema: schemas.write(answer.schema, 'output') } } };
}

/** The OpenAPI 3.1 document of the given operations; those on a public path need no API token. */
export function openApiDocument(operations: Operation[], publicPaths: PublicPath[]): object {
  const schemas = new SchemaWriter();
  const paths: Record<string, Record<string, object>> = {};
  for (const op of operations) {
    const open = isPublicPath(publicPaths, op.path.replace(/\{\w+\}/g, 'x'));
    const responses = { ...sharedRefusals(op, open), ...op.responses };
    (paths[op.path] ??= {})[op.method] = {
      tags: [op.tag],
      summary: op.summary,
      ...(op.description === undefined ? {} : { description: op.description }),
      ...(open ? { security: [] } : {}),
      parameters: parametersOf(op, schemas),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemas.write(op.body, 'input') } } } } : {}),
      responses: Object.fromEntries(Object.entries(responses).map(([status, answer]) => [status, responseOf(answer, schemas)])),
    };
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'koobridge',
      version: 'v1',
      description:
        "The tenant directory, instances, events and sign-in sessions, for the merchant's own application. Every operation needs `Authorization: Bearer API_TOKEN` unless it says otherwise; refusals are `{error, message}`.",
    },
    security: [{ apiToken: [] }],
    paths,
    components: {
      securitySchemes: { apiToken: { type: 'http', scheme: 'bearer', description: 'any one of the tokens of the API_TOKEN setting (several are accepted while the application switches)' } },
      schemas: schemas.components,
    },
  };
}

/** GET /openapi.json: the document, built on the first request (some 50 ms a start would spend otherwise) and kept. */
export function openApiRouter(operations: Operation[], publicPaths: PublicPath[]): Router {
  let document: object | undefined;
  const router = exactRouter();
  router.get('/openapi.json', (ctx) => {
    ctx.body = document ??= openApiDocument(operations, publicPaths);
  });
  return router;
}
