import type { JsonValue } from '../domain/json';
import type { CompiledTransform, TransformEngine } from './transformTypes';
import { TransformError } from './transformTypes';

/** The part of the `jsonata` package (2.x) this adapter uses. */
type JsonataExpression = {
  evaluate: (input: unknown, bindings?: Record<string, unknown>) => Promise<unknown>;
  assign: (name: string, value: unknown) => void;
};
type JsonataFactory = (expression: string) => JsonataExpression;

const MAX_DEPTH = 500;

/**
 * The `jsonata` package is not a dependency yet (see docs/inbound.md): it is loaded by name when first needed, and
 * its absence is a clear `unsupported` error, never a silent pass-through.
 */
const loadJsonata = async (): Promise<JsonataFactory> => {
  const name = 'jsonata';
  try {
    const loaded = (await import(/* @vite-ignore */ name)) as { default?: JsonataFactory };
    if (typeof loaded.default === 'function') return loaded.default;
  } catch {
    // not installed: answered below
  }
  throw new TransformError('unsupported', 'jsonata transforms need the jsonata package, which is not installed on this server');
};

/**
 * Time and depth are bounded the way JSONata's own test suite bounds runaway expressions: its evaluator calls the
 * `__evaluate_entry` / `__evaluate_exit` hooks at every step, and they throw past the deadline or the depth.
 */
const timebox = (expression: JsonataExpression, timeoutMs: number): void => {
  const deadline = performance.now() + timeoutMs;
  let depth = 0;
  const check = (): void => {
    if (depth > MAX_DEPTH) throw new TransformError('failed', `The JSONata expression nests deeper than ${MAX_DEPTH} steps`);
    if (performance.now() > deadline) throw new TransformError('timeout', `The transform ran for more than ${timeoutMs} ms`);
  };
  const parallel = (environment: unknown): boolean => typeof environment === 'object' && environment !== null && (environment as { isParallelCall?: boolean }).isParallelCall === true;
  expression.assign('__evaluate_entry', (_expr: unknown, _input: unknown, environment: unknown) => {
    if (parallel(environment)) return;
    depth++;
    check();
  });
  expression.assign('__evaluate_exit', (_expr: unknown, _input: unknown, environment: unknown) => {
    if (parallel(environment)) return;
    depth--;
    check();
  });
};

export const jsonataEngine: TransformEngine = {
  type: 'jsonata',
  compile: async (code: string): Promise<CompiledTransform> => {
    const jsonata = await loadJsonata();
    try {
      jsonata(code);
    } catch (error) {
      throw new TransformError('invalid_code', `The JSONata expression does not parse: ${(error as { message?: string }).message ?? 'syntax error'}`);
    }
    return {
      run: async (input, { limits }) => {
        // A fresh expression per run: the hooks hold this run's deadline.
        const expression = jsonata(code);
        timebox(expression, limits.timeoutMs);
        try {
          const output = await expression.evaluate(input);
          return (output === undefined ? null : JSON.parse(JSON.stringify(output))) as JsonValue;
        } catch (error) {
          if (error instanceof TransformError) throw error;
          throw new TransformError('failed', `The JSONata expression failed: ${(error as { message?: string }).message ?? 'error'}`);
        }
      },
    };
  },
};
