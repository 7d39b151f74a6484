import { z } from 'zod';
import { invalidParam } from './resultCodes.js';

/** Messages a seller can act on: "userList[3].userName: must be at most 64 characters". */
const messages: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      return iss.input === undefined || iss.input === null ? 'is required' : `must be ${article(iss.expected)}`;
    case 'too_big':
      return iss.origin === 'string' ? `must be at most ${iss.maximum} characters` : `must be at most ${iss.maximum}`;
    case 'too_small':
      if (iss.origin === 'string') return iss.minimum === 1 ? 'must not be empty' : `must be at least ${iss.minimum} characters`;
      return `must be at least ${iss.minimum}`;
    case 'invalid_value':
      return `must be one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return undefined;
  }
};

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

/** Validates any input (body, query); a failure is a message naming the first offending field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): { data: z.output<S> } | { message: string } {
  const result = schema.safeParse(value, { error: messages });
  if (result.success) return { data: result.data };
  const issue = result.error.issues[0]!;
  const where = fieldPath(issue.path);
  return { message: where ? `${where}: ${issue.message}` : issue.message };
}

/** Validates a parsed marketplace body; a failure is a 000002 naming the field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = validate(schema, body);
  if ('message' in result) throw invalidParam(result.message);
  return result.data;
}

/** An integer sent as a JSON number or a numeric string ("flag":1 or "flag":"1"). */
export function intOf<T extends readonly number[]>(allowed: T) {
  return z
    .union([z.number().int(), z.string().regex(/^-?\d+$/, 'must be an integer').transform(Number)])
    .pipe(z.number().refine((n) => allowed.includes(n), `must be one of ${allowed.join(', ')}`)) as unknown as z.ZodType<
    T[number]
  >;
}

/** testFlag: 1 = the seller centre's debug data. Absent means production data. */
export const testFlag = intOf([0, 1] as const)
  .optional()
  .transform((v) => v === 1);

/** Ids the marketplace leaves empty for the seller's own credential application (spec §5). */
export const optionalId = z
  .string()
  .max(64)
  .nullish()
  .transform((v) => v ?? '');

export const requiredId = z.string().min(1).max(64);

/**
 * Marketplace time "yyyyMMddHHmmssSSS" (UTC+8). Stored as 17 digits so string order is time order;
 * 14-digit values (no milliseconds) are accepted and padded.
 */
export const marketplaceTime = z
  .string()
  .regex(/^\d{14}(\d{3})?$/, 'must be yyyyMMddHHmmssSSS')
  .transform((s) => s.padEnd(17, '0'));

/** A value sent either as JSON or as a string holding JSON (V1 userList/orgInfo). */
export function jsonOrString<S extends z.ZodType>(inner: S) {
  return z.preprocess((v, ctx) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is a string but not valid JSON' });
      return z.NEVER;
    }
  }, inner);
}

export const optionalText = (max: number) =>
  z
    .string()
    .max(max)
    .nullish()
    .transform((v) => (v === '' || v == null ? null : v));
