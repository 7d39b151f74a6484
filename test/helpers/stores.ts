import { inject } from 'vitest';
import type { Store } from './database.js';

export type { Store };

/** The stores this run tests: SQLite always, MySQL when it answers (see globalSetup). */
export const stores: Store[] = inject('mysqlUrl') ? ['sqlite', 'mysql'] : ['sqlite'];
