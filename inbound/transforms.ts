import type { JsonValue } from '../domain/json';
import { jsonataEngine } from './jsonataTransform';
import { mappingEngine } from './mappingTransform';
import type { CompiledTransform, TransformContext, TransformEngine, TransformType } from './transformTypes';
import { TransformError } from './transformTypes';

export * from './transformTypes';

const unsupported = (type: TransformType, why: string): TransformEngine => ({
  type,
  compile: () => Promise.reject(new TransformError('unsupported', `${type} transforms are not supported: ${why}`)),
});

/**
 * JavaScript would need a sandbox with CPU, memory and API limits: node:vm is not one (its own docs: "not a security
 * mechanism"; code in a context reaches the host through any object handed in), and no isolate package is
 * installed. XSLT and Liquid have no engine here.
 */
export const ENGINES: Readonly<Record<TransformType, TransformEngine>> = {
  mapping: mappingEngine,
  jsonata: jsonataEngine,
  javascript: unsupported('javascript', 'there is no real sandbox with time and memory limits here (node:vm is not a sandbox)'),
  xslt: unsupported('xslt', 'no XSLT engine is installed'),
  liquid: unsupported('liquid', 'no Liquid engine is installed'),
};

const byteLength = (value: JsonValue): number => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

export const compileTransform = (type: TransformType, code: string): Promise<CompiledTransform> => ENGINES[type].compile(code);

export type TransformRun = Readonly<{ output: JsonValue; executionTimeMs: number }>;

/**
 * Runs a compiled transform under the limits: the input is measured before, the output after, and the engine is
 * handed the deadline (a mapping checks it between fields; JSONata at every evaluation step).
 */
export const runTransform = async (compiled: CompiledTransform, input: JsonValue, context: TransformContext): Promise<TransformRun> => {
  const { limits } = context;
  const inputBytes = byteLength(input);
  if (inputBytes > limits.maxInputBytes) {
    throw new TransformError('input_too_large', `The transform input is ${inputBytes} bytes, over the limit of ${limits.maxInputBytes}`);
  }
  const started = performance.now();
  const output = await compiled.run(input, context);
  const executionTimeMs = performance.now() - started;
  if (executionTimeMs > limits.timeoutMs) throw new TransformError('timeout', `The transform ran for more than ${limits.timeoutMs} ms`);
  const outputBytes = byteLength(output);
  if (outputBytes > limits.maxOutputBytes) {
    throw new TransformError('output_too_large', `The transform output is ${outputBytes} bytes, over the limit of ${limits.maxOutputBytes}`);
  }
  return { output, executionTimeMs };
};
