import type { JsonValue } from '../domain/json';

/** The official SDK's `TransformType`; the MCP server also names `xslt` and `liquid`. */
export type TransformType = 'jsonata' | 'javascript' | 'mapping' | 'xslt' | 'liquid';

export type TransformErrorCode = 'unsupported' | 'invalid_code' | 'input_too_large' | 'output_too_large' | 'timeout' | 'failed';

/** A transform that cannot be compiled or run; the message names the rule, and never quotes the payload. */
export class TransformError extends Error {
  constructor(
    readonly code: TransformErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TransformError';
  }
}

export type TransformLimits = Readonly<{
  /** Bytes of the input payload as JSON text. */
  maxInputBytes: number;
  /** Bytes of the output as JSON text. */
  maxOutputBytes: number;
  /** Wall time of one run. */
  timeoutMs: number;
}>;

export const DEFAULT_TRANSFORM_LIMITS: TransformLimits = { maxInputBytes: 1024 * 1024, maxOutputBytes: 1024 * 1024, timeoutMs: 1000 };

/** What a run may read besides the payload: the clock (a mapping's `now()` default). */
export type TransformContext = Readonly<{ now: Date; limits: TransformLimits }>;

export type CompiledTransform = Readonly<{ run: (input: JsonValue, context: TransformContext) => Promise<JsonValue> }>;

/** One language: compile once (when a transform is saved and when a route loads it), run per event. */
export type TransformEngine = Readonly<{ type: TransformType; compile: (code: string) => Promise<CompiledTransform> }>;
