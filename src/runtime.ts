import { createPrivateKey, type KeyObject } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Config } from './config/index.js';
import { openDb, openReads, type Db } from './store/db.js';
import { SecretBox } from './marketplace/secrets.js';
import { ChangeFeed } from './directory/changes.js';
import { SessionEnds } from './sso/sessionEnds.js';
import { createLogger, type Logger } from './log.js';

/** The long-lived parts every module shares, built once per process. */
export interface Runtime {
  config: Config;
  db: Db;
  /** Reads that may run beside a long write: the directory API and session checks (see openReads). */
  reads: Db;
  log: Logger;
  changes: ChangeFeed;
  /** Sessions SSO ended and why, for the metrics. */
  sessionEnds: SessionEnds;
  rsaPrivateKey: KeyObject;
  box: SecretBox;
}

export function createRuntime(config: Config, overrides: Partial<Pick<Runtime, 'db' | 'log'>> = {}): Runtime {
  const options = {
    databaseUrl: config.databaseUrl,
    sqliteFile: join(resolve(config.dataDir), 'koobridge.sqlite'),
    mysqlPoolMax: config.mysqlPoolMax,
  };
  const db = overrides.db ?? openDb(options);
  return {
    config,
    db,
    reads: overrides.db ? overrides.db : openReads(options, db),
    log: overrides.log ?? createLogger(config.logLevel),
    changes: new ChangeFeed(),
    sessionEnds: new SessionEnds(),
    rsaPrivateKey: createPrivateKey(config.rsaPrivateKeyPem),
    box: new SecretBox(config.dataEncryptionKey),
  };
}
