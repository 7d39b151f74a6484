import type { Knex } from 'knex';

/** Which page of a list the caller asks for (1-based). */
export interface Page {
  page: number;
  pageSize: number;
}

/** One page of an ordered query's rows, and how many rows the query matches in all. */
export async function onePage<T>(q: Knex.QueryBuilder, { page, pageSize }: Page): Promise<{ rows: T[]; total: number }> {
  const [{ total }] = await q.clone().clearOrder().clearSelect().count({ total: '*' });
  const rows: T[] = await q.limit(pageSize).offset((page - 1) * pageSize);
  return { rows, total: Number(total) };
}
