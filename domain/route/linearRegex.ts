import { setFlagsFromString } from 'node:v8';

/**
 * Filter regexes run on V8's linear-time engine (the `l` flag, behind `--enable-experimental-regexp-engine`):
 * an automaton without backtracking, so no pattern can take more than time linear in its input (no ReDoS).
 * The engine refuses what it cannot run in linear time (backreferences, lookarounds) at compile time.
 * The flag only makes the `l` flag available; other regexes are untouched. Setting it after start-up works on
 * Node 20 and 22 (checked by LINEAR_REGEX_AVAILABLE); where it does not, regex conditions are refused, never
 * run on the backtracking engine. The composition root may pass the flag on the command line instead.
 */
setFlagsFromString('--enable-experimental-regexp-engine');

const probe = (): boolean => {
  try {
    // eslint-disable-next-line no-invalid-regexp -- `l` is V8's linear-engine flag, unknown to the rule
    new RegExp('a', 'l');
    return true;
  } catch {
    return false;
  }
};

export const LINEAR_REGEX_AVAILABLE = probe();

export const MAX_PATTERN_LENGTH = 256;
/** A filter tests at most this many characters of a value; a longer value does not match. */
export const MAX_REGEX_INPUT = 4096;

export type LinearRegexResult = Readonly<{ ok: true; regex: RegExp }> | Readonly<{ ok: false; reason: string }>;

/** Compiles a pattern for the linear engine, or says why it cannot be used (length, syntax, non-linear construct). */
export const compileLinearRegex = (pattern: string): LinearRegexResult => {
  if (!LINEAR_REGEX_AVAILABLE) return { ok: false, reason: 'regex is not available: this Node has no linear-time RegExp engine' };
  if (pattern.length > MAX_PATTERN_LENGTH) return { ok: false, reason: `the pattern must be at most ${MAX_PATTERN_LENGTH} characters` };
  try {
    // eslint-disable-next-line no-invalid-regexp -- `l` is V8's linear-engine flag, unknown to the rule
    return { ok: true, regex: new RegExp(pattern, 'l') };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return message.includes('linear time')
      ? { ok: false, reason: 'the pattern needs backtracking (backreferences and lookarounds are not supported)' }
      : { ok: false, reason: `the pattern is not a valid regular expression (${message.replace(/^Invalid regular expression: /, '')})` };
  }
};
