/**
 * Structured JSON logs (pino), one object per line. Secrets never reach them: known fields are redacted by path,
 * and every string (the message included) is scrubbed of anything shaped like a Hookbase secret, token or key.
 */
import pino from 'pino';
import type { DestinationStream, Level, Logger } from 'pino';

/** Prefixes of what Hookbase issues: signing secrets, API keys, portal tokens, magic-link redemption codes. */
const SECRET_VALUE = /\b(whsec_|hb_sk_|whpt_|whr_)[A-Za-z0-9+/=_-]+/g;
/** `Bearer <anything>`: an authorization header's value wherever it was copied. */
const BEARER = /\b(Bearer)\s+[^\s"',;]+/gi;
export const REDACTED = '[redacted]';

export const scrubSecrets = (text: string): string => text.replace(SECRET_VALUE, `$1${REDACTED}`).replace(BEARER, `$1 ${REDACTED}`);

const scrubValue = (value: unknown, depth = 0): unknown => {
  if (typeof value === 'string') return scrubSecrets(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  if (value instanceof Error) return { type: value.name, message: scrubSecrets(value.message) };
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubValue(v, depth + 1)]));
};

/** Fields whose value is a secret whatever it looks like. */
const REDACT_PATHS = [
  'secret',
  'key',
  'apiKey',
  'token',
  'password',
  '*.secret',
  '*.key',
  '*.apiKey',
  '*.token',
  '*.password',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'authorization',
];

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** HOOKBASE_LOG_LEVEL (fatal, error, warn, info, debug, trace, silent); info when unset or unknown. */
export const logLevelFrom = (value: string | undefined): Level | 'silent' =>
  value !== undefined && LEVELS.includes(value.toLowerCase()) ? (value.toLowerCase() as Level | 'silent') : 'info';

export const createLogger = (options: Readonly<{ level?: string; destination?: DestinationStream }> = {}): Logger =>
  pino(
    {
      level: logLevelFrom(options.level ?? process.env.HOOKBASE_LOG_LEVEL),
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      formatters: { log: (object) => scrubValue(object) as Record<string, unknown> },
      hooks: {
        // The message string too: log lines built by interpolation may carry a value copied from a request.
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );

/** The plain `(line) => void` the roles log through, as info lines of a logger. */
export const lineLogger = (logger: Logger): ((line: string) => void) => (line) => logger.info(line);
