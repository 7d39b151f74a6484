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
