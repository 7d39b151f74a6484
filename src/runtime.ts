import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { Config } from './config/index.js';
import { openDb, openReads, type Db } from './store/db.js';
import { SecretBox } from './store/secretBox.js';
import { ChangeFeed } from './store/changes.js';
import { createLogger, type Logger } from './log.js';

/** The long-lived parts every module shares, built once per process. */
export interface Runtime {
  config: Config;
  db: Db;
  /** Reads that may run beside a long write: the directory API and session checks (see openReads). */
  reads: Db;
  log: Logger;
  changes: ChangeFeed;
  /** Decrypt applicationSync's clientSecret: the current key, and during a change the previous one. */
  rsaKeys: { current: KeyObject; previous?: KeyObject };
  box: SecretBox;
  /** Aborted when the process begins to shut down: readiness fails and jobs take no more work. */
  stopping: AbortController;
}

export function createRuntime(config: Config, overrides: Partial<Pick<Runtime, 'db' | 'log'>> = {}): Runtime {
  const log = overrides.log ?? createLogger(config.logLevel);
  const options = { databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile, mysqlPoolMax: config.mysqlPoolMax, log };
  const db = overrides.db ?? openDb(options);
  return {
    config,
    db,
    reads: overrides.db ? overrides.db : openReads(options, db),
    log,
    changes: new ChangeFeed(),
    rsaKeys: {
      current: createPrivateKey(config.rsaPrivateKeyPem),
      ...(config.rsaPrivateKeyPemPrevious ? { previous: createPrivateKey(config.rsaPrivateKeyPemPrevious) } : {}),
    },
    box: new SecretBox(config.dataEncryptionKey),
    stopping: new AbortController(),
  };
}
