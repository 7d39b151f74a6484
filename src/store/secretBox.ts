import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataKey } from '../config/settings.js';

/** A sealed value that no key of the ring opens: sealed with a key since removed, or altered. */
export class SecretUnreadable extends Error {}

/**
 * AES-256-GCM for secrets at rest, under a ring of keys (DATA_ENCRYPTION_KEY, newest first): the
 * newest seals, as "v2." + key id + "." + base64(iv | tag | ciphertext); any key of the ring opens.
 * Values from before the ring ("v1." + base64, no key id) are tried with every key. The context
 * (e.g. the row's key) is bound as additional data, so a sealed value copied to another row does not open.
 */
export class SecretBox {
  private readonly ring: readonly DataKey[];

  constructor(ring: readonly DataKey[]) {
    if (ring.length === 0 || ring.some((k) => k.key.length !== 32)) throw new Error('DATA_ENCRYPTION_KEY must be one or more 32-byte keys');
    this.ring = ring;
  }

  /** The id of the key that seals: a value is on the newest key when it starts with `currentPrefix`. */
  get currentKeyId(): string {
    return this.ring[0]!.id;
  }

  get currentPrefix(): string {
    return `v2.${this.currentKeyId}.`;
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.ring[0]!.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${this.currentPrefix}${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`;
  }

  /** The plaintext; throws SecretUnreadable, naming the key it needs, when no key of the ring opens it. */
  open(sealed: string, context: string): string {
    const { keyId, body } = parse(sealed);
    const named = keyId === undefined ? undefined : this.ring.find((k) => k.id === keyId);
    // A value under a key of the ring opens with that key alone; one whose id is not in the ring
    // (a v1 value, or a key given another name since) is tried with each.
    for (const k of named ? [named] : this.ring) {
      const plain = openWith(k.key, body, context);
      if (plain !== undefined) return plain;
    }
    const ids = this.ring.map((k) => k.id).join(', ');
    const needs = keyId === undefined ? 'a value sealed before key ids were recorded' : named ? `a value under key ${keyId} that does not open with it (altered, or copied from another row)` : `a value under key ${keyId}, which is not in the ring`;
    throw new SecretUnreadable(`no key of DATA_ENCRYPTION_KEY (${ids}) opens ${needs}`);
  }

  /** The same secret sealed with the newest key. */
  reseal(sealed: string, context: string): string {
    return this.seal(this.open(sealed, context), context);
  }
}

function parse(sealed: string): { keyId?: string; body: Buffer } {
  const v2 = /^v2\.([A-Za-z0-9-]{1,32})\.(.*)$/s.exec(sealed);
  if (v2) return { keyId: v2[1], body: Buffer.from(v2[2]!, 'base64') };
  if (sealed.startsWith('v1.')) return { body: Buffer.from(sealed.slice(3), 'base64') };
  throw new SecretUnreadable('unknown sealed-secret format');
}

function openWith(key: Buffer, buf: Buffer, context: string): string | undefined {
  if (buf.length < 28) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(buf.subarray(12, 28));
    return Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
