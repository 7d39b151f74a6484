import { bool, type Trx } from '../store/db.js';
import { lockClause, runStatement } from '../store/statements.js';
import { emit } from '../store/events.js';
import { kitEvent } from './directoryEvents.js';
import { upsertNewer } from '../store/upsertNewer.js';
import type { ApplicationSyncBody } from '../marketplace/kitSchemas.js';
import { invalidParam } from '../marketplace/resultCodes.js';
import { decryptClientSecret, SecretDecryptionError, type RsaKeys } from '../marketplace/secrets.js';
import { SecretUnreadable, type SecretBox } from '../store/secretBox.js';
import type { AppRow } from '../store/rows.js';
import { syncResult, syncStamp, type SyncResult } from './syncResult.js';

export interface AppSecrets {
  rsaKeys: RsaKeys;
  box: SecretBox;
}

/** The additional data a sealed clientSecret is bound to: its own row. */
export const clientSecretContext = (instanceId: string, tenantId: string, appId: string) =>
  `clientSecret:${instanceId}:${tenantId}:${appId}`;

/**
 * applicationSync (spec §5.2): clientSecret arrives RSA-OAEP encrypted; it is decrypted (so a
 * wrong key is refused before anything is stored) and kept AES-GCM sealed.
 */
export async function applicationSync(trx: Trx, body: ApplicationSyncBody, secrets: AppSecrets): Promise<SyncResult> {
  const deleted = body.flag === 0;
  const plain = deleted ? undefined : decrypt(body, secrets.rsaKeys);
  const key = { instance_id: body.instanceId, tenant_id: body.tenantId, app_id: body.appId };
  const context = clientSecretContext(body.instanceId, body.tenantId, body.appId);
  const result = syncResult(body, { flag: body.flag, appId: body.appId, ...(plain ? { oaep: plain.padding, rsaKey: plain.key } : {}) });
  // Locked: of concurrent duplicates only the first finds news to tell (the others find its row).
  const sql = `SELECT client_id, client_secret, deleted, test_flag, source_ts FROM apps WHERE instance_id = ? AND tenant_id = ? AND app_id = ?${lockClause(trx, 'update')}`;
  const [stored] = (await runStatement<StoredApp>(trx, sql, [body.instanceId, body.tenantId, body.appId])).rows;
  if (stored && stored.source_ts > body.timeStamp) return { ...result, outcome: 'stale' };
  // Sealing uses a fresh IV; keep the stored ciphertext when the secret is unchanged so a replay changes nothing.
  const storedSecret = stored?.client_secret;
  const sealed = plain
    ? storedSecret && sameSecret(secrets.box, storedSecret, context, plain.secret)
      ? storedSecret
      : secrets.box.seal(plain.secret, context)
    : null;

  const row = { ...key, client_id: body.clientId || null, client_secret: sealed, secret_padding: plain?.padding ?? null, ...syncStamp(body.timeStamp, body.testFlag, deleted) };
  await upsertNewer(trx, 'apps', [row], ['instance_id', 'tenant_id', 'app_id']);
  const live = stored !== undefined && !Number(stored.deleted);
  // A new secret is news although the event never shows it (only that there is one).
  const changed = !live || stored.client_id !== row.client_id || stored.client_secret !== row.client_secret || Number(stored.test_flag) !== row.test_flag;
  if (deleted ? live : changed) emit(trx, [kitEvent(body, body.timeStamp, deleted ? 'app.deleted' : 'app.synced', appView(body, deleted ? stored! : row))]);
  result.changes.push({ type: 'app', instanceId: body.instanceId, tenantId: body.tenantId, appId: body.appId, deleted });
  return result;
}

type StoredApp = Pick<AppRow, 'client_id' | 'client_secret' | 'deleted' | 'test_flag' | 'source_ts'>;

/** An app as the tenant's detail lists it, with its instance and tenant. */
function appView(body: ApplicationSyncBody, app: Pick<AppRow, 'client_id' | 'client_secret' | 'test_flag' | 'source_ts'>) {
  const { instanceId, tenantId, appId } = body;
  return { instanceId, tenantId, appId, clientId: app.client_id, hasClientSecret: app.client_secret !== null, testFlag: bool(app.test_flag), syncedAt: app.source_ts };
}

function decrypt(body: ApplicationSyncBody, keys: RsaKeys) {
  if (!body.clientId) throw invalidParam('clientId: must not be empty');
  try {
    return decryptClientSecret(keys, body.clientSecret);
  } catch (err) {
    if (err instanceof SecretDecryptionError) throw invalidParam(err.message);
    throw err;
  }
}

function sameSecret(box: SecretBox, sealed: string, context: string, secret: string): boolean {
  try {
    return box.open(sealed, context) === secret;
  } catch (err) {
    if (err instanceof SecretUnreadable) return false; // sealed with a key no longer in DATA_ENCRYPTION_KEY: sealed anew
    throw err;
  }
}
