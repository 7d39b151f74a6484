import type { Knex } from 'knex';
import { z } from 'zod';
import { betweenStatements } from './upsertNewer.js';

/** Which page of a list the caller asks for (1-based). */
export interface Page {
  page: number;
  pageSize: number;
}

/** A page of a list as the APIs answer it: its items, which page it is, and how many items the list holds in all. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    page: z.number().int().min(1),
    pageSize: z.number().int().min(1),
    total: z.number().int().min(0).describe('items in the whole list, on every page'),
  });

/**
 * One page of an ordered query's rows, and how many rows the query matches in all. With `exactTotal`
 * false the count is skipped (it is a second pass over every matching row, the most of the time on a
 * big tree's first level): `total` is then only a lower bound, above the rows so far when more follow.
 */
export async function onePage<T>(q: Knex.QueryBuilder, { page, pageSize }: Page, exactTotal = true): Promise<{ rows: T[]; total: number }> {
  const offset = (page - 1) * pageSize;
  if (!exactTotal) {
    const rows: T[] = await q.limit(pageSize + 1).offset(offset);
    return { rows: rows.slice(0, pageSize), total: offset + rows.length };
  }
  const [{ total }] = await q.clone().clearOrder().clearSelect().count({ total: '*' });
  const rows: T[] = await q.limit(pageSize).offset(offset);
  return { rows, total: Number(total) };
}

/** What a receiver reconciling from a directory list asks besides a page (README "Reconciling"). */
export interface ChangeFilter {
  /** Only rows whose content changed at or after this time (epoch ms). */
  updatedSince?: number;
  /** Deleted rows too (each item then says whether it is). */
  includeDeleted?: boolean;
}

/** Narrows a directory list to the change filter: `alias` names the table's `deleted` and `updated_at`. */
export function withChanges(q: Knex.QueryBuilder, alias: string, filter: ChangeFilter): Knex.QueryBuilder {
  if (!filter.includeDeleted) q.andWhere(`${alias}.deleted`, 0);
  if (filter.updatedSince !== undefined) q.andWhere(`${alias}.updated_at`, '>=', filter.updatedSince);
  return q;
}

const READ_PAGE_ROWS = 10_000;

/**
 * Every row `query` matches, read in pages along `column` (unique among them), the event loop
 * getting a turn between pages (betweenStatements): reading 100,000 rows at once would hold the
 * thread for a good part of a second on SQLite. `query` builds a fresh query each time.
 */
export async function readInPages<T extends object>(query: () => Knex.QueryBuilder, column: keyof T & string): Promise<T[]> {
  const all: T[] = [];
  for (let after: unknown; ; ) {
    const page: T[] = await query()
      .modify((q) => (after === undefined ? q : q.andWhere(column, '>', after)))
      .orderBy(column)
      .limit(READ_PAGE_ROWS);
    all.push(...page);
    if (page.length < READ_PAGE_ROWS) return all;
    after = page[page.length - 1]![column];
    await betweenStatements();
  }
}
