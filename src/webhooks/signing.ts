import { createHmac, randomBytes } from 'node:crypto';

/** New signing secret per the Standard Webhooks spec: `whsec_` + base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** Standard Webhooks v1 signature: base64 HMAC-SHA256 of `${id}.${timestamp}.${body}` with the decoded secret. */
export function signWebhook(secret: string, msgId: string, timestampSec: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${msgId}.${timestampSec}.${body}`).digest('base64')}`;
}

/** Headers for one attempt; during a rotation both the new and the previous secret sign. */
export function webhookHeaders(secrets: string[], msgId: string, body: string, now = Date.now()): Record<string, string> {
  const ts = Math.floor(now / 1000);
  return {
    'content-type': 'application/json',
    'user-agent': 'Nexsphere-Webhooks/1.0',
    'webhook-id': msgId,
    'webhook-timestamp': String(ts),
    'webhook-signature': secrets.map((s) => signWebhook(s, msgId, ts, body)).join(' '),
  };
}
