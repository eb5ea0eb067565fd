import { HookbaseError } from './errors.js';
import { Transport } from './http.js';
import { Applications } from './resources/applications.js';
import { Endpoints } from './resources/endpoints.js';
import { EventTypes } from './resources/eventTypes.js';
import { Destinations, Filters, Routes, Schemas, Sources, Transforms } from './resources/inboundConfig.js';
import { Dlq, InboundDeliveries, InboundEvents } from './resources/inboundTraffic.js';
import { Messages } from './resources/messages.js';
import { PortalTokens } from './resources/portalTokens.js';

export interface HookbaseOptions {
  /** Falls back to the `HOOKBASE_API_KEY` environment variable where there is one. */
  apiKey?: string | undefined;
  /** Default: `HOOKBASE_URL` from the environment, then `http://localhost:8080`. */
  baseUrl?: string | undefined;
  /** Milliseconds per attempt before `TimeoutError` (default 30000). */
  timeout?: number | undefined;
  /** Extra attempts after network errors, timeouts, 429 and 5xx (default 2). */
  retries?: number | undefined;
  /** Replaces the global `fetch` (tests, proxies, custom agents). */
  fetch?: typeof fetch | undefined;
}

const DEFAULT_BASE_URL = 'http://localhost:8080';
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 2;

export class Hookbase {
  readonly applications: Applications;
  readonly eventTypes: EventTypes;
  readonly endpoints: Endpoints;
  readonly messages: Messages;
  readonly portalTokens: PortalTokens;
  // inbound (docs/inbound.md)
  readonly sources: Sources;
  readonly destinations: Destinations;
  readonly routes: Routes;
  readonly filters: Filters;
  readonly transforms: Transforms;
  readonly schemas: Schemas;
  readonly inboundEvents: InboundEvents;
  readonly inboundDeliveries: InboundDeliveries;
  readonly dlq: Dlq;

  constructor(options: HookbaseOptions = {}) {
    const apiKey = options.apiKey ?? env('HOOKBASE_API_KEY');
    if (!apiKey) {
      throw new HookbaseError(
        'The apiKey option is required: new Hookbase({ apiKey }) (or set HOOKBASE_API_KEY in the environment)',
      );
    }
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') {
      throw new HookbaseError('No fetch in this runtime: pass the fetch option');
    }
    const transport = new Transport({
      apiKey,
      baseUrl: (options.baseUrl ?? env('HOOKBASE_URL') ?? DEFAULT_BASE_URL).replace(/\/+$/, ''),
      timeout: nonNegative(options.timeout, 'timeout') ?? DEFAULT_TIMEOUT_MS,
      retries: Math.floor(nonNegative(options.retries, 'retries') ?? DEFAULT_RETRIES),
      fetch: (input, init) => fetchImpl(input, init),
    });
    this.applications = new Applications(transport);
    this.eventTypes = new EventTypes(transport);
    this.endpoints = new Endpoints(transport);
    this.messages = new Messages(transport);
    this.portalTokens = new PortalTokens(transport);
    this.sources = new Sources(transport);
    this.destinations = new Destinations(transport);
    this.routes = new Routes(transport);
    this.filters = new Filters(transport);
    this.transforms = new Transforms(transport);
    this.schemas = new Schemas(transport);
    this.inboundEvents = new InboundEvents(transport);
    this.inboundDeliveries = new InboundDeliveries(transport);
    this.dlq = new Dlq(transport);
  }
}

/** Reads an environment variable where the runtime has `process.env` (Node, Bun, Deno's compat). */
function env(name: string): string | undefined {
  const runtime = globalThis as { process?: { env?: Record<string, string | undefined> } };
  const value = runtime.process?.env?.[name];
  return value === '' ? undefined : value;
}

function nonNegative(value: number | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 0) {
    throw new HookbaseError(`The ${option} option must be a number of 0 or more, got ${value}`);
  }
  return value;
}
