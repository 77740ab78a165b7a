import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Used when SECRET_KEY is unset (demo, tests). Anyone with this source can decrypt secrets
 * stored under it, so production start-up logs a warning (see createWebhookService).
 */
export const DEMO_SECRET_KEY = 'nexsphere-demo-secret-key: set SECRET_KEY in production';

/** New signing secret per the Standard Webhooks spec: `whsec_` + base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * AES-256-GCM for secrets that must be usable later (webhook signing keys): stored as
 * `v1.<iv>.<ciphertext>.<tag>` (base64url). The key is derived from SECRET_KEY with HKDF so
 * the same SECRET_KEY can serve other purposes under other labels.
 */
export function createSecretBox(secretKey: string | undefined) {
  const key = Buffer.from(hkdfSync('sha256', secretKey ?? DEMO_SECRET_KEY, 'nexsphere', 'webhook-secrets/v1', 32));
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
