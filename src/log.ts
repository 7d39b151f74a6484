import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout. Request bodies and headers are never logged; these paths are redacted besides. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'koobridge' },
    redact: {
      paths: ['*.clientSecret', '*.client_secret', '*.access_token', '*.refresh_token', '*.authorization', '*.cookie', 'req.headers'],
      censor: '[redacted]',
    },
  });
}
