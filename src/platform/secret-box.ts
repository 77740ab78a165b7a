import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Used when SECRET_KEY is unset (demo, tests). Anyone with this source can decrypt secrets
 * stored under it, so production start-up logs a warning (see createWebhookService).
 */
export const DEMO_SECRET_KEY = 'nexsphere-demo-secret-key: set SECRET_KEY in production';

/** What a box protects; each purpose gets its own key derived from SECRET_KEY. */
export type SecretPurpose = 'webhook-secrets/v1' | 'idempotency-responses/v1';

/**
 * AES-256-GCM for secrets that must be usable later (webhook signing keys, stored responses
 * that carry terminal secrets): stored as `v1.<iv>.<ciphertext>.<tag>` (base64url). The key is
 * derived from SECRET_KEY with HKDF under the purpose's label, so one SECRET_KEY serves them all
 * and a ciphertext of one purpose does not open under another.
 */
export function createSecretBox(secretKey: string | undefined, purpose: SecretPurpose) {
  const key = Buffer.from(hkdfSync('sha256', secretKey ?? DEMO_SECRET_KEY, 'nexsphere', purpose, 32));
  return {
    encrypt(plain: string): string {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', iv, ct, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
    },
    decrypt(stored: string): string {
      const [v, iv, ct, tag] = stored.split('.');
      if (v !== 'v1' || !iv || !ct || !tag) throw new Error('unknown secret format');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

export type SecretBox = ReturnType<typeof createSecretBox>;
