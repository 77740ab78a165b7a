// The MQTT gateway's TLS certificate: read from the configured files, or (demo mode only) a
// self-signed one made once under DATA_DIR with the openssl CLI, since no certificate library
// is among the dependencies. Terminals pin it by its SHA-256 fingerprint (protocol.md 1.1).
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../config.js';
import type { Logger } from './logger.js';

const run = promisify(execFile);

export interface TlsCertificate {
  cert: Buffer;
  key: Buffer;
  /** SHA-256 of the DER certificate, as colon-separated hex pairs. */
  fingerprint256: string;
}

/** Reads a PEM certificate and key; a missing or unreadable file is named by its variable. */
export async function loadCertificate(certPath: string, keyPath: string): Promise<TlsCertificate> {
  const read = (path: string, variable: string) =>
    readFile(path).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`${variable}: cannot read ${path} (${err.code ?? err.message})`);
    });
  const [cert, key] = await Promise.all([read(certPath, 'MQTT_TLS_CERT'), read(keyPath, 'MQTT_TLS_KEY')]);
  let fingerprint256: string;
  try {
    fingerprint256 = new X509Certificate(cert).fingerprint256;
  } catch {
    throw new Error(`MQTT_TLS_CERT: ${certPath} is not a PEM certificate`);
  }
  return { cert, key, fingerprint256 };
}

/**
 * A self-signed certificate for localhost and 127.0.0.1 in `dir` (made once, then reused), so
 * the demo speaks MQTT over TLS without an operator's certificate.
 */
export async function ensureSelfSignedCertificate(dir: string): Promise<{ certPath: string; keyPath: string; created: boolean }> {
  const certPath = resolve(join(dir, 'mqtt-tls-cert.pem'));
  const keyPath = resolve(join(dir, 'mqtt-tls-key.pem'));
  if (existsSync(certPath) && existsSync(keyPath)) return { certPath, keyPath, created: false };
  await mkdir(dir, { recursive: true });
  const args = [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '825',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ];
  try {
    await run('openssl', args);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    const why = e.code === 'ENOENT' ? 'the openssl command is not installed' : e.stderr?.trim() || e.message;
    throw new Error(`cannot create a demo TLS certificate for MQTT (${why}); set MQTT_TLS_CERT and MQTT_TLS_KEY to PEM files instead`);
  }
  return { certPath, keyPath, created: true };
}

/** Demo mode: without a configured certificate, the gateway gets the self-signed one from DATA_DIR. */
export async function withDemoCertificate(config: Config, log: Logger): Promise<Config> {
  if (config.MQTT_TLS_CERT) return config;
  const { certPath, keyPath, created } = await ensureSelfSignedCertificate(config.DATA_DIR);
  if (created) log.info({ certPath, keyPath }, 'created a self-signed TLS certificate for MQTT (demo mode)');
  return Object.freeze({ ...config, MQTT_TLS_CERT: certPath, MQTT_TLS_KEY: keyPath });
}
