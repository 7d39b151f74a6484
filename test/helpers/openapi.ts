import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';

interface Described {
  content?: Record<string, { schema?: object }>;
}
interface DescribedOperation {
  responses: Record<string, Described>;
}
type Paths = Record<string, Record<string, DescribedOperation>>;

/**
 * Checks answers against the OpenAPI document the server serves: the JSON body against the
 * schema for its method, path and status. Built once per document text, as each server serves the same.
 */
export interface ApiDocument {
  document: Record<string, unknown>;
  /** What is wrong with the answer, or undefined when it matches (or its route is not described). */
  mismatch(method: string, path: string, status: number, mediaType: string | undefined, body: unknown): string | undefined;
}

const built = new Map<string, Promise<ApiDocument>>();

/** GET /openapi.json of the server at `url`, validated as OpenAPI 3.1. */
export async function apiDocument(url: string): Promise<ApiDocument> {
  const res = await fetch(`${url}/openapi.json`);
  if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
  const text = await res.text();
  let doc = built.get(text);
  if (!doc) {
    doc = build(JSON.parse(text) as Record<string, unknown>);
    built.set(text, doc);
  }
  return doc;
}

async function build(document: Record<string, unknown>): Promise<ApiDocument> {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(document));
  if (!result.valid) throw new Error(`/openapi.json is not a valid OpenAPI document: ${JSON.stringify(result.errors)}`);
  if (validator.version !== '3.1') throw new Error(`/openapi.json is OpenAPI ${validator.version}, not 3.1`);
  // Every $ref replaced by what it names, so each response schema stands alone for ajv.
  const paths = (validator.resolveRefs() as { paths: Paths }).paths;
  const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true });
  formats.default(ajv);
  const templates = Object.keys(paths).map((template) => ({ template, re: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`) }));
  const compiled = new Map<string, ValidateFunction>();

  return {
    document,
    mismatch(method, path, status, mediaType, body) {
      const template = templates.find((t) => t.re.test(path))?.template;
      const operation = template === undefined ? undefined : paths[template]![method.toLowerCase()];
      if (!operation) return undefined;
      const where = `${method} ${template} ${status}`;
      const answer = operation.responses[String(status)];
      if (!answer) return `${where}: the status is not in the document`;
      const content = answer.content ?? {};
      if (mediaType === undefined) return Object.keys(content).length === 0 ? undefined : `${where}: no body, the document says ${Object.keys(content).join(', ')}`;
      const described = content[mediaType];
      if (!described) return `${where}: answered ${mediaType}, the document says ${Object.keys(content).join(', ') || 'no body'}`;
      if (mediaType !== 'application/json' || !described.schema) return undefined;
      const key = `${where} ${mediaType}`;
      let validate = compiled.get(key);
      if (!validate) {
        validate = ajv.compile(described.schema);
        compiled.set(key, validate);
      }
      return validate(body) ? undefined : `${where}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body).slice(0, 500)}`;
    },
  };
}
