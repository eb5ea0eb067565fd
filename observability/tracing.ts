/**
 * OpenTelemetry traces for operators (docs/observability.md), off unless the standard OTLP endpoint variable is set.
 *
 * This module is what the rest of Hookbase sees: `activeTracing` is null when tracing is off, and every traced place
 * checks it first, so that off costs a null check and nothing else. It imports nothing from `@opentelemetry/*`
 * (types only, erased): `startTracing` loads `./otel` (and through it the SDK and the OTLP exporter) with a dynamic
 * `import()`, and only when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set.
 *
 * The trace context crosses threads and processes in the events themselves: a send's `MessageSent` (and a resend's
 * `MessageResent`) keeps the W3C `traceparent` (and `tracestate`) of its append in its metadata; the projections'
 * fan-out and the dispatcher's attempts continue from there, and each attempt's outcome event keeps its own.
 */

/** The W3C trace context as kept in an event's metadata (and sent in the `traceparent`/`tracestate` headers). */
export type TraceMetadata = { traceparent?: string; tracestate?: string };

/** What the API knows of a request when it starts, and of its answer when it ends. */
export type RequestSpan = Readonly<{
  /** Runs the rest of the request with this span as the parent of what it appends. */
  run: <T>(next: () => Promise<T>) => Promise<T>;
  /** `route`: the route's template (`/v1/applications/{appId}/messages`), 'unmatched' for a miss. */
  end: (route: string, status: number) => void;
}>;

/** The append of a message event: its metadata carries the trace context on. */
export type AppendSpan = Readonly<{
  metadata: TraceMetadata;
  end: (error?: unknown) => void;
}>;

/** One attempt's HTTP request: the receiver gets `traceparent` (a child of this span). */
export type AttemptSpan = Readonly<{
  /** Headers to add to the webhook request (`traceparent`, and `tracestate` when there is one). */
  headers: TraceMetadata;
  /** The request's result (dispatcher/httpDelivery.ts): the answer's status, or how it failed. */
  end: (result: Readonly<{ kind: string; responseStatus?: number | null; error?: string }>) => void;
}>;

export type DeliveryIds = Readonly<{ outboundId: string; messageId: string; endpointId: string; applicationId: string }>;

export interface Tracing {
  /** A server span for an API request, continuing the caller's `traceparent` header when it sent one. */
  request(method: string, path: string, traceparent: string, tracestate: string): RequestSpan;
  /** A producer span around the append of a message event (MessageSent, MessageResent), child of the request's span. */
  append(eventType: 'MessageSent' | 'MessageResent', messageId: string, applicationId: string, deliveries: number): AppendSpan;
  /** A consumer span for the projection that creates a message's deliveries, child of the append's context. */
  fanOut(metadata: Readonly<Record<string, unknown>>, eventType: string, messageId: string, deliveries: number): () => void;
  /** A client span for one attempt's request, child of the context the delivery was created in (`parent`, if any). */
  attempt(parent: string | undefined, url: string, ids: DeliveryIds, attemptNumber: number): AttemptSpan;
  /** Ends the exporter after sending what is still batched. */
  shutdown(): Promise<void>;
}

/** Null while tracing is off (the default): every traced place checks this first. */
export let activeTracing: Tracing | null = null;

/** Whether the standard OTLP variables ask for traces (an empty value is unset, as the OpenTelemetry SDKs read it). */
export const tracingRequested = (env: NodeJS.ProcessEnv = process.env): boolean =>
  Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()) && env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true';

/** How long a stop waits for the last spans to be sent. */
const SHUTDOWN_WAIT_MS = 5_000;

let users = 0;
let starting: Promise<Tracing> | null = null;

/**
 * Starts tracing for this thread (each worker thread starts its own) when the environment asks for it; returns the
 * function that stops it (flushing what is batched), or null when tracing is off. Several Hookbases in one thread
 * share one exporter: the last stop ends it.
 */
export const startTracing = async (options: Readonly<{ serviceVersion: string; threadName: string }>): Promise<(() => Promise<void>) | null> => {
  if (!tracingRequested()) return null;
  users++;
  starting ??= import('./otel').then((otel) => otel.createTracing(options));
  try {
    activeTracing = await starting;
  } catch (error) {
    users--;
    starting = null;
    throw error;
  }
  let stopped = false;
  return async () => {
    if (stopped) return;
    stopped = true;
    if (--users > 0) return;
    const tracing = activeTracing;
    activeTracing = null;
    starting = null;
    // A collector that does not answer must not hold a stopping process for the exporter's 30 s.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS)));
    await Promise.race([tracing?.shutdown().catch(() => {}), timeout]);
    clearTimeout(timer);
  };
};

/** The trace context an event's metadata keeps, if any. */
export const traceparentOf = (metadata: Readonly<Record<string, unknown>>): string | undefined =>
  typeof metadata.traceparent === 'string' ? metadata.traceparent : undefined;
