/**
 * Filter regexes run on V8's linear-time engine (the `l` flag, behind `--enable-experimental-regexp-engine`):
 * an automaton without backtracking, so no pattern can take more than time linear in its input (no ReDoS).
 * The engine refuses what it cannot run in linear time (backreferences, lookarounds) at compile time.
 * The flag is the process's, set by the composition root at start (`cli/v8Flags.ts`), never by the domain: this
 * module only probes for it. Where it is absent, regex conditions are refused, never run on the backtracking engine.
 */

const probe = (): boolean => {
  try {
    // eslint-disable-next-line no-invalid-regexp -- `l` is V8's linear-engine flag, unknown to the rule
    new RegExp('a', 'l');
    return true;
  } catch {
    return false;
  }
};

let available = false;

/** Whether the `l` flag works in this process; probed until it does (the flag may be set after this module loads). */
export const linearRegexAvailable = (): boolean => (available ||= probe());

export const MAX_PATTERN_LENGTH = 256;
/** A filter tests at most this many characters of a value; a longer value does not match. */
export const MAX_REGEX_INPUT = 4096;

export type LinearRegexResult = Readonly<{ ok: true; regex: RegExp }> | Readonly<{ ok: false; reason: string }>;

/** Compiles a pattern for the linear engine, or says why it cannot be used (length, syntax, non-linear construct). */
export const compileLinearRegex = (pattern: string): LinearRegexResult => {
  if (!linearRegexAvailable()) return { ok: false, reason: 'regex is not available: this Node has no linear-time RegExp engine' };
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
