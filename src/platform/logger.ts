import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

// Secrets never reach the logs, whatever object a caller passes.
const redact = ['password', 'secret', 'token', '*.password', '*.secret', '*.token', 'req.headers.authorization', 'headers.authorization'];

export function createLogger(level: string, bindings: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: redact, censor: '[redacted]' }, base: { ...bindings } };
  return destination ? pino(options, destination) : pino(options);
}
