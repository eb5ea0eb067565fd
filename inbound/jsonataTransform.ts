import jsonata from 'jsonata';
import type { JsonValue } from '../domain/json';
import { linearRegexAvailable } from '../domain/route/linearRegex';
import type { CompiledTransform, TransformEngine } from './transformTypes';
import { TransformError } from './transformTypes';

/** Deepest evaluation nesting (JSONata's `stack` guardrail: runaway recursion stops here). */
const MAX_DEPTH = 500;
/** Longest sequence an expression may build (JSONata's `sequence` guardrail: `[1..100000000]` stops here). */
const MAX_SEQUENCE = 100_000;

const LINEAR_ONLY =
  'A regex in a JSONata expression must run in linear time: no backreferences, lookarounds, large counted repeats, or i/u flags';

/**
 * JSONata builds its regexes through this engine (its `RegexEngine` option): V8's linear-time engine, as filters use,
 * so no expression can backtrack without bound. The flags of the parsed literal are kept.
 */
class LinearRegExp extends RegExp {
  constructor(pattern: string | RegExp, flags?: string) {
    if (!linearRegexAvailable()) throw new TransformError('unsupported', 'regex is not available: this Node has no linear-time RegExp engine');
    try {
      super(pattern, `${flags ?? (pattern instanceof RegExp ? pattern.flags : '')}l`);
    } catch {
      throw new TransformError('failed', LINEAR_ONLY);
    }
  }
}

type JsonataFailure = { code?: string; message?: string; position?: number };

const describe = (error: unknown): string => {
  const { code, message, position } = (error ?? {}) as JsonataFailure;
  return `${message ?? 'error'}${code === undefined ? '' : ` (${code}${position === undefined ? '' : ` at ${position}`})`}`;
};

/**
 * JSONata with the package's own guardrails: `timeout` (checked at every evaluation step), `stack` (nesting) and
 * `sequence` (the length of any sequence built), plus the linear regex engine. The output must be JSON.
 */
export const jsonataEngine: TransformEngine = {
  type: 'jsonata',
  compile: async (code: string): Promise<CompiledTransform> => {
    try {
      jsonata(code);
    } catch (error) {
      throw new TransformError('invalid_code', `The JSONata expression does not parse: ${describe(error)}`);
    }
    return {
      run: async (input, { limits }) => {
        // A fresh expression per run: the guardrails' clock starts with it.
        // JSONata only ever calls `new RegexEngine(…)` (jsonata.js evaluateRegex): the call signature of the type is never used.
        const RegexEngine = LinearRegExp as unknown as RegExpConstructor;
        const expression = jsonata(code, { timeout: limits.timeoutMs, stack: MAX_DEPTH, sequence: MAX_SEQUENCE, RegexEngine });
        let output: unknown;
        try {
          output = await expression.evaluate(input);
        } catch (error) {
          if (error instanceof TransformError) throw error;
          const { code: failure } = (error ?? {}) as JsonataFailure;
          if (failure === 'D1012') throw new TransformError('timeout', `The transform ran for more than ${limits.timeoutMs} ms`);
          throw new TransformError('failed', `The JSONata expression failed: ${describe(error)}`);
        }
        if (output === undefined) return null;
        if (typeof output === 'function') throw new TransformError('failed', 'The JSONata expression returned a function, not JSON');
        return JSON.parse(JSON.stringify(output)) as JsonValue;
      },
    };
  },
};
