import { z } from 'zod';
import { BadInput } from '../errors.js';

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

/** The parsed value, or the first offending field's path (possibly empty) and what is wrong with it. */
function check<S extends z.ZodType>(schema: S, value: unknown): { data: z.output<S> } | { path: string; problem: string } {
  const result = schema.safeParse(value, { error: messages });
  if (result.success) return { data: result.data };
  const issue = result.error.issues[0]!;
  return { path: fieldPath(issue.path), problem: issue.message };
}

/** Validates any input (body, query); a failure is a message naming the first offending field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): { data: z.output<S> } | { message: string } {
  const result = check(schema, value);
  if ('data' in result) return result;
  return { message: result.path ? `${result.path}: ${result.problem}` : result.problem };
}

/**
 * The schema's verdict on an item of the usual shape, reached by hand: the same value the schema
 * yields, or undefined for anything else, which the schema then judges (and names what is wrong).
 */
export type QuickCheck<T> = (item: unknown) => T | undefined;

/** Items validated between two turns of the event loop: about 10 ms of work. */
const ITEMS_PER_TURN = 5_000;

/**
 * Validates a long list (a 100,000-department snapshot takes ~200 ms) a slice at a time, letting
 * other requests in between, so one big call does not stall the server. `field` names the list in
 * messages ("orgInfoList[12345].orgCode: …"). `quick` spares the schema's cost for items of the usual shape.
 */
export async function parseListInTurns<S extends z.ZodType>(item: S, items: unknown[], field: string, quick?: QuickCheck<z.output<S>>): Promise<z.output<S>[]> {
  const out: z.output<S>[] = [];
  for (let start = 0; start < items.length; start += ITEMS_PER_TURN) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    const end = Math.min(items.length, start + ITEMS_PER_TURN);
    for (let i = start; i < end; i++) {
      const fast = quick?.(items[i]);
      if (fast !== undefined) {
        out.push(fast);
        continue;
      }
      const result = check(item, items[i]);
      if (!('data' in result)) {
        const inner = result.path === '' || result.path.startsWith('[') ? result.path : `.${result.path}`;
        throw new BadInput(`${field}[${i}]${inner}: ${result.problem}`);
      }
      out.push(result.data);
    }
  }
  return out;
}

/** Validates what a request sent (body, query, form); a failure is bad input naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = validate(schema, value);
  if ('message' in result) throw new BadInput(result.message);
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

/** An absolute http(s) URL of at most `max` characters: one the server fetches, or one shown to the buyer. */
export const httpUrl = (max: number) => z.string().max(max).pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }));

/**
 * Marketplace time "yyyyMMddHHmmssSSS" (UTC+8). Stored as 17 digits so string order is time order;
 * 14-digit values (no milliseconds) are accepted and padded. A date that does not exist (month 13)
 * is refused: stored, it could sort after the real times of later calls and make them look stale.
 */
export const marketplaceTime = z
  .string()
  .regex(/^\d{14}(\d{3})?$/, 'must be yyyyMMddHHmmssSSS')
  .transform((s, ctx) => {
    if (isCalendarTime(s)) return s.padEnd(17, '0');
    ctx.addIssue({ code: 'custom', message: `${s} is not a real date and time (yyyyMMddHHmmssSSS)` });
    return z.NEVER;
  });

const BEIJING_OFFSET_MS = 8 * 3_600_000;

/**
 * The instant a 17-digit marketplace time names, read as UTC+8 as the spec says. Should the
 * marketplace send UTC instead, this reading is 8 h early, so a real time is never taken for a future one.
 */
export function marketplaceInstant(ts: string): number {
  return utcInstant(ts) - BEIJING_OFFSET_MS;
}

/** Epoch ms as the marketplace writes times: yyyyMMddHHmmssSSS in UTC+8 (the inverse of marketplaceInstant). */
export function marketplaceTimeOf(ms: number): string {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().replace(/\D/g, '');
}

/** The instant yyyyMMddHHmmss[SSS] names when read as UTC (the lifecycle calls' expireTime). */
export function utcInstant(ts: string): number {
  const [year, month, day, hour, minute, second, ms] = timeParts(ts);
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** yyyyMMddHHmmss[SSS] names a date and time that exists (no Feb 30, no hour 24); the zone does not matter. */
export function isCalendarTime(s: string): boolean {
  const [year, month, day, hour, minute, second] = timeParts(s);
  // Date.UTC rolls over out-of-range parts (Feb 30 → Mar 2); a real date reads back unchanged.
  const t = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return (
    t.getUTCFullYear() === year &&
    t.getUTCMonth() === month - 1 &&
    t.getUTCDate() === day &&
    t.getUTCHours() === hour &&
    t.getUTCMinutes() === minute &&
    t.getUTCSeconds() === second
  );
}

/** Year, month, day, hour, minute, second and millisecond of yyyyMMddHHmmss[SSS]. */
function timeParts(s: string): number[] {
  const cuts = [0, 4, 6, 8, 10, 12, 14, 17];
  return cuts.slice(0, -1).map((from, i) => Number(s.slice(from, cuts[i + 1])));
}

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
