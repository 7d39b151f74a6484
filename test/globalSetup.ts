import mysql from 'mysql2/promise';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    mysqlUrl: string | null;
  }
}

/**
 * The MySQL suite runs when MySQL answers at TEST_MYSQL_URL. With REQUIRE_MYSQL=1 (CI) an
 * unreachable server fails the run instead of skipping, so the MySQL suite can never silently vanish.
 */
export default async function setup(project: TestProject) {
  const url = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
  try {
    const conn = await mysql.createConnection({ uri: url, connectTimeout: 3000 });
    await conn.query('select 1');
    await conn.end();
    project.provide('mysqlUrl', url);
  } catch (err) {
    if (process.env.REQUIRE_MYSQL === '1') {
      throw new Error(`REQUIRE_MYSQL=1 but MySQL does not answer at ${url}: ${(err as Error).message}`);
    }
    const bar = '!'.repeat(78);
    console.warn(`\n${bar}\n!! MySQL does not answer at ${url}\n!! SKIPPING THE MYSQL SUITE: only the SQLite store is tested in this run.\n!! Start MariaDB/MySQL or set TEST_MYSQL_URL; CI sets REQUIRE_MYSQL=1.\n${bar}\n`);
    project.provide('mysqlUrl', null);
  }
}
