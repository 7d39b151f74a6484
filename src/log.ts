import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout. Request bodies and headers are never logged; these paths are redacted besides. */
export function createLogger(level: string, destination: DestinationStream = pino.destination(1)): Logger {
  const options = {
    level,
    base: { service: 'koobridge' },
    redact: {
      paths: ['*.clientSecret', '*.client_secret', '*.access_token', '*.refresh_token', '*.authorization', '*.cookie', 'req.headers'],
      censor: '[redacted]',
    },
  };
  return pino(options, destination);
}

/** Quoted text in a driver message is data ("Duplicate entry 'x'"), unless it names a column, key or table. */
const QUOTED_DATA = /(?<!(?:column|key|table|index|database|constraint) )'[^']*'/gi;

/**
 * Error text for logs: the driver's own message and code, never the SQL or its bound values. knex
 * prefixes a failed query's SQL to the message ("insert into … - <driver message>"); only the part
 * after it is kept, quoted data is masked, and the rest is capped.
 */
export function describe(err: unknown): { message: string; code?: string } {
  const e = err as { message?: string; code?: string; sqlMessage?: string };
  const text = e?.sqlMessage ?? e?.message ?? String(err);
  const driverMessage = text.includes(' - ') ? text.slice(text.lastIndexOf(' - ') + 3) : text;
  return { message: driverMessage.replace(QUOTED_DATA, "'…'").slice(0, 300), code: e?.code };
}
