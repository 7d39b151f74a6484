import { z } from 'zod';

/** The query parameters of every paged list of the bearer APIs. */
export const pageParams = {
  page: z.coerce.number().int().min(1).default(1).describe('1-based'),
  pageSize: z.coerce.number().int().min(1).max(1000).default(100),
};
