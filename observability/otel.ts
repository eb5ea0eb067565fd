/**
 * The OpenTelemetry side of observability/tracing.ts, loaded by it (dynamic import) only when tracing is on: the
 * SDK's tracer provider with a batch span processor and the OTLP/HTTP exporter, both configured by the standard
 * OTEL_* variables (endpoint, headers, sampler, batch sizes), and the spans Hookbase makes. Names and attributes
 * follow the OpenTelemetry semantic conventions for HTTP and messaging spans; nothing secret and nothing of a
 * payload goes into an attribute (docs/observability.md lists them).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { threadId } from 'node:worker_threads';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, defaultTextMapSetter, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import type { AppendSpan, AttemptSpan, DeliveryIds, RequestSpan, TraceMetadata, Tracing } from './tracing';

// Incubating (messaging, thread) attributes, copied rather than imported: the package advises so for its
// `incubating` entry point, which may change in a minor release (and is a large module to load).
const ATTR_MESSAGING_SYSTEM_NAME = 'messaging.system.name';
const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
const ATTR_MESSAGING_DESTINATION_TEMPLATE = 'messaging.destination.template';
const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';
const ATTR_THREAD_NAME = 'thread.name';
const ATTR_THREAD_ID = 'thread.id';
const ATTR_PROCESS_PID = 'process.pid';

/** The message stream, whose name holds the message id: the template is the low-cardinality name (semconv). */
const MESSAGE_STREAM_TEMPLATE = 'message-{messageId}';
const MESSAGING_SYSTEM = 'hookbase';

const errorType = (error: unknown): string => (error instanceof Error ? error.name : '_OTHER');

/** A low-cardinality class of a failed attempt (semconv `error.type`): the status code, or what went wrong. */
const attemptErrorType = (result: Readonly<{ kind: string; responseStatus?: number | null; error?: string }>): string | null => {
  if (result.kind === 'succeeded') return null;
  if (result.kind === 'blocked') return 'blocked_address';
  if (result.kind === 'cancelled') return 'cancelled';
  if (typeof result.responseStatus === 'number') return String(result.responseStatus);
  return /time(d)? ?out/i.test(result.error ?? '') ? 'timeout' : 'connection_failed';
};

export const createTracing = (options: Readonly<{ serviceVersion: string; threadName: string }>): Tracing => {
  // Ours first, then what the environment says (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) wins.
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'hookbase', [ATTR_SERVICE_VERSION]: options.serviceVersion, [ATTR_PROCESS_PID]: process.pid }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  // The exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT, _COMPRESSION; the processor OTEL_BSP_*;
  // the provider OTEL_TRACES_SAMPLER(_ARG) (parent-based always-on by default).
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  const tracer = provider.getTracer('hookbase', options.serviceVersion);
  const propagator = new W3CTraceContextPropagator();
  /** The request span's context while the API handles it (what a send appends is its child). */
  const requestContext = new AsyncLocalStorage<Context>();
  const thread = { [ATTR_THREAD_NAME]: options.threadName, [ATTR_THREAD_ID]: threadId };

  const inject = (context: Context): TraceMetadata => {
    const carrier: Record<string, string> = {};
    propagator.inject(context, carrier, defaultTextMapSetter);
    return carrier as TraceMetadata;
  };
  const extract = (traceparent: string | undefined, tracestate?: string): Context =>
    traceparent ? propagator.extract(ROOT_CONTEXT, tracestate ? { traceparent, tracestate } : { traceparent }, defaultTextMapGetter) : ROOT_CONTEXT;
  const fail = (span: Span, type: string): void => {
    span.setAttribute(ATTR_ERROR_TYPE, type);
    span.setStatus({ code: SpanStatusCode.ERROR });
  };

  return {
    request(method, path, traceparent, tracestate): RequestSpan {
      const parent = extract(traceparent, tracestate);
      const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_PATH]: path, [ATTR_URL_SCHEME]: 'http', ...thread };
      const span = tracer.startSpan(method, { kind: SpanKind.SERVER, attributes }, parent);
      const context = trace.setSpan(parent, span);
      return {
        run: (next) => requestContext.run(context, next),
        end(route, status) {
          // `{method} {route}`; a miss has no route, and its name is the method alone (semconv HTTP server spans).
          if (route !== 'unmatched') {
            span.updateName(`${method} ${route}`);
            span.setAttribute(ATTR_HTTP_ROUTE, route);
          }
          span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
          // A 4xx is the caller's doing: a server span is an error for a 5xx only.
          if (status >= 500) fail(span, String(status));
          span.end();
        },
      };
    },

    append(eventType, messageId, applicationId, deliveries): AppendSpan {
      const parent = requestContext.getStore() ?? ROOT_CONTEXT;
      const span = tracer.startSpan(
        `append ${MESSAGE_STREAM_TEMPLATE}`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            [ATTR_MESSAGING_SYSTEM_NAME]: MESSAGING_SYSTEM,
            [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
            [ATTR_MESSAGING_OPERATION_NAME]: 'append',
            [ATTR_MESSAGING_DESTINATION_NAME]: `message-${messageId}`,
            [ATTR_MESSAGING_DESTINATION_TEMPLATE]: MESSAGE_STREAM_TEMPLATE,
            'hookbase.event.type': eventType,
            'hookbase.message.id': messageId,
            'hookbase.application.id': applicationId,
            'hookbase.deliveries': deliveries,
            ...thread,
          },
        },
        parent,
      );
      return {
        metadata: inject(trace.setSpan(parent, span)),
        end(error) {
          if (error !== undefined) fail(span, errorType(error));
          span.end();
        },
      };
    },

    fanOut(metadata, eventType, messageId, deliveries) {
      const traceparent = typeof metadata.traceparent === 'string' ? metadata.traceparent : undefined;
      // A message sent while the API did not trace has no context to join: its fan-out is not traced either.
      if (traceparent === undefined) return () => {};
      const parent = extract(traceparent, typeof metadata.tracestate === 'string' ? metadata.tracestate : undefined);
      const span = tracer.startSpan(
        `fan_out ${MESSAGE_STREAM_TEMPLATE}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            [ATTR_MESSAGING_SYSTEM_NAME]: MESSAGING_SYSTEM,
            [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
            [ATTR_MESSAGING_OPERATION_NAME]: 'fan_out',
            [ATTR_MESSAGING_DESTINATION_NAME]: `message-${messageId}`,
            [ATTR_MESSAGING_DESTINATION_TEMPLATE]: MESSAGE_STREAM_TEMPLATE,
            [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: 1,
            'hookbase.event.type': eventType,
            'hookbase.message.id': messageId,
            'hookbase.deliveries': deliveries,
            'hookbase.projection': 'outbound',
            ...thread,
          },
        },
        parent,
      );
      return () => span.end();
    },

    attempt(parentTraceparent, url, ids: DeliveryIds, attemptNumber): AttemptSpan {
      const parent = extract(parentTraceparent);
      // Not `url.full`: endpoint URLs often carry a credential in their path or query (Slack-style hooks), and
      // nothing secret goes into a span. The host and port say where it went; the ids say which endpoint.
      const target = new URL(url);
      const attributes: Attributes = {
        [ATTR_HTTP_REQUEST_METHOD]: 'POST',
        [ATTR_SERVER_ADDRESS]: target.hostname,
        [ATTR_SERVER_PORT]: target.port ? Number(target.port) : target.protocol === 'https:' ? 443 : 80,
        [ATTR_URL_SCHEME]: target.protocol.replace(':', ''),
        'hookbase.outbound.id': ids.outboundId,
        'hookbase.message.id': ids.messageId,
        'hookbase.endpoint.id': ids.endpointId,
        'hookbase.application.id': ids.applicationId,
        'hookbase.attempt.number': attemptNumber,
        ...thread,
      };
      // The first attempt is no resend (semconv: set from the second request on).
      if (attemptNumber > 1) attributes[ATTR_HTTP_REQUEST_RESEND_COUNT] = attemptNumber - 1;
      const span = tracer.startSpan('POST', { kind: SpanKind.CLIENT, attributes }, parent);
      return {
        headers: inject(trace.setSpan(parent, span)),
        end(result) {
          if (typeof result.responseStatus === 'number') span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, result.responseStatus);
          const type = attemptErrorType(result);
          if (type !== null) fail(span, type);
          span.end();
        },
      };
    },

    shutdown: () => provider.shutdown(),
  };
};
