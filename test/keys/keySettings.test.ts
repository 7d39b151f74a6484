import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { dataKeyId } from '../../src/config/settings.js';
import { SecretBox, SecretUnreadable } from '../../src/store/secretBox.js';
import { keyEnv } from '../helpers/keys.js';

const dir = mkdtempSync(join(tmpdir(), 'koobridge-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: dir, ...keyEnv(), ...env });
const key = () => randomBytes(32).toString('base64');

describe('key settings', () => {
  it('DATA_ENCRYPTION_KEY: keys newest first, named or unnamed (a short hash of the key), spaces allowed', () => {
    const [a, b] = [key(), key()];
    const ring = load({ DATA_ENCRYPTION_KEY: ` 2026-06:${a} , ${b}` }).dataEncryptionKey;
    expect(ring.map((k) => k.id)).toEqual(['2026-06', dataKeyId(Buffer.from(b, 'base64'))]);
    expect(ring[1]!.id).toMatch(/^[0-9a-f]{8}$/);
    expect(ring[0]!.key.equals(Buffer.from(a, 'base64'))).toBe(true);
  });

  it('DATA_ENCRYPTION_KEY: refuses a short key by its place (never showing it), a key or an id listed twice, an empty list', () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    const message = (() => {
      try {
        load({ DATA_ENCRYPTION_KEY: `${key()},${short}` });
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(message).toMatch(/DATA_ENCRYPTION_KEY: key 2 of 2: must be/);
    expect(message).not.toContain(short);
    const k = key();
    expect(() => load({ DATA_ENCRYPTION_KEY: `${k},${k}` })).toThrow(/DATA_ENCRYPTION_KEY: must not list the same key, or the same id, twice/);
    expect(() => load({ DATA_ENCRYPTION_KEY: `one:${key()},ONE:${key()}` })).toThrow(/the same id, twice/);
    expect(() => load({ DATA_ENCRYPTION_KEY: ' , ' })).toThrow(/DATA_ENCRYPTION_KEY: must be one or more 32-byte base64 keys/);
  });

  it('API_TOKEN: several tokens, each at least 24 characters', () => {
    expect(load({ API_TOKEN: 'token-one-0123456789abcdef, token-two-0123456789abcdef' }).apiToken).toEqual(['token-one-0123456789abcdef', 'token-two-0123456789abcdef']);
    expect(() => load({ API_TOKEN: 'token-one-0123456789abcdef,short' })).toThrow(/API_TOKEN: must be one or more tokens, comma-separated, each at least 24 characters/);
  });

  it('the previous keys are optional and checked like the current ones', () => {
    const config = load({});
    expect([config.kitAccessKeyPrevious, config.basicAccessKeyPrevious, config.rsaPrivateKeyPemPrevious]).toEqual([undefined, undefined, undefined]);
    expect(() => load({ KIT_ACCESS_KEY_PREVIOUS: 'short' })).toThrow(/KIT_ACCESS_KEY_PREVIOUS: .*at least 16/);
    expect(() => load({ RSA_PRIVATE_KEY_PREVIOUS: 'not a key' })).toThrow(/RSA_PRIVATE_KEY_PREVIOUS_FILE or RSA_PRIVATE_KEY_PREVIOUS: must be a PKCS#8 PEM RSA private key/);
    expect(() => load({ RSA_PRIVATE_KEY_PREVIOUS_FILE: join(dir, 'missing.pem') })).toThrow(/RSA_PRIVATE_KEY_PREVIOUS_FILE: cannot read .*: no such file/);
  });
});

describe('the secret box under a key ring', () => {
  const [a, b] = [{ id: 'a', key: randomBytes(32) }, { id: 'b', key: randomBytes(32) }];

  it('seals with the newest key, recording its id; opens with any key of the ring, values from before key ids too', () => {
    const sealed = new SecretBox([a]).seal('secret', 'row-1');
    expect(sealed).toMatch(/^v2\.a\./);
    const ring = new SecretBox([b, a]);
    expect(ring.open(sealed, 'row-1')).toBe('secret');
    expect(ring.open(sealed.replace(/^v2\.a\./, 'v1.'), 'row-1')).toBe('secret');
    expect(ring.reseal(sealed, 'row-1')).toMatch(/^v2\.b\./);
    // A key given another name since still opens what it sealed.
    expect(new SecretBox([{ id: 'renamed', key: a.key }]).open(sealed, 'row-1')).toBe('secret');
  });

  it('a value no key opens, or bound to another row, is a SecretUnreadable naming the key it needs', () => {
    const sealed = new SecretBox([a]).seal('secret', 'row-1');
    expect(() => new SecretBox([b]).open(sealed, 'row-1')).toThrow(SecretUnreadable);
    expect(() => new SecretBox([b]).open(sealed, 'row-1')).toThrow('no key of DATA_ENCRYPTION_KEY (b) opens a value under key a, which is not in the ring');
    expect(() => new SecretBox([a]).open(sealed, 'row-2')).toThrow(/under key a that does not open with it/);
    expect(() => new SecretBox([a]).open('plain text', 'row-1')).toThrow(SecretUnreadable);
  });
});
