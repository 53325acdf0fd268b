import pino, { type DestinationStream, type Logger } from 'pino';
import type { AppConfig } from '../config/config.js';

/**
 * Structured JSON logs (on stdout unless `destination` says otherwise). Tokens, passwords and cookies are redacted
 * wherever they appear.
 */
export function createLogger(
  config: Pick<AppConfig, 'logLevel'>,
  app: string,
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { app, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'password',
          '*.password',
          'token',
          '*.token',
          'variables.password',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
