import type { Endpoint, EndpointEvent, EndpointState } from '../domain/endpoint/endpoint';
import { evolveEndpoint, initialEndpointState } from '../domain/endpoint/endpoint';
import type { SealedSecret } from '../domain/secretBox';
import { openSecret } from '../domain/secretBox';
import { streams } from '../domain/streams';
import { upcast } from '../domain/events';
import type { EventStore } from '../store/eventStore';
import { StreamNotFoundError } from '../store/eventStore';
import type { CircuitView } from './circuitBreaker';

/**
 * The endpoint as the dispatcher needs it, folded from its own stream (the source of truth, never behind the way a
 * read model may be): the aggregate's state plus what the circuit breaker needs to know from its events.
 */
export type EndpointView = Readonly<{ state: EndpointState; circuit: CircuitView }>;

const ms = (iso: string): number => Date.parse(iso);

const initialView = (): EndpointView => ({
  state: initialEndpointState(),
  circuit: { circuit: 'closed', changedAt: null, probeAt: null, halfOpenedAt: null, failingSince: null },
});

const evolveView = (view: EndpointView, event: EndpointEvent): EndpointView => {
  const state = evolveEndpoint(view.state, event);
  const c = view.circuit;
  switch (event.type) {
    case 'EndpointCircuitOpened':
      return {
        state,
        circuit: { ...c, circuit: 'open', changedAt: ms(event.data.openedAt), probeAt: ms(event.data.probeAt), failingSince: c.failingSince ?? ms(event.data.openedAt) },
      };
    case 'EndpointCircuitHalfOpened':
      return { state, circuit: { ...c, circuit: 'half_open', changedAt: ms(event.data.halfOpenedAt), halfOpenedAt: ms(event.data.halfOpenedAt) } };
    case 'EndpointCircuitClosed':
      return { state, circuit: { circuit: 'closed', changedAt: ms(event.data.closedAt), probeAt: null, halfOpenedAt: null, failingSince: null } };
    case 'EndpointEnabled':
      return { state, circuit: { circuit: 'closed', changedAt: ms(event.data.enabledAt), probeAt: null, halfOpenedAt: null, failingSince: null } };
    default:
      return { state, circuit: c };
  }
};

/**
 * Endpoint views by id, kept up to date by reading only the events appended since the last look: every attempt
 * sees the endpoint as its stream is now, without folding the whole stream each time.
 */
export class EndpointViews {
  private readonly cache = new Map<string, { view: EndpointView; revision: bigint }>();

  constructor(
    private readonly events: EventStore,
    private readonly maxCached = 10_000,
  ) {}

  async get(endpointId: string): Promise<EndpointView> {
    const cached = this.cache.get(endpointId);
    let view = cached?.view ?? initialView();
    let revision = cached?.revision ?? -1n;
    try {
      for await (const recorded of this.events.readStream(streams.endpoint(endpointId), { fromRevision: revision + 1n })) {
        revision = recorded.revision;
        const event = upcast(recorded.type, recorded.data, recorded.metadata);
        // An endpoint stream holds endpoint events only (DESIGN.md, Streams).
        if (event) view = evolveView(view, event as EndpointEvent);
      }
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
    }
    // Least recently used goes first.
    this.cache.delete(endpointId);
    this.cache.set(endpointId, { view, revision });
    if (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value as string);
    return view;
  }
}

/** Why an endpoint receives nothing; null when it is active and enabled. */
export const unusableReason = (state: EndpointState): string | null => {
  switch (state.status) {
    case 'empty':
      return 'Endpoint not found';
    case 'deleted':
      return 'Endpoint deleted';
    case 'active':
      return state.endpoint.disabled ? `Endpoint disabled${state.endpoint.disabledReason ? `: ${state.endpoint.disabledReason}` : ''}` : null;
    default: {
      const never: never = state;
      return never;
    }
  }
};

type Opener = (masterKey: Buffer, sealed: SealedSecret) => string;

/** The signing secrets in clear: the current one, then previous ones still within their grace period. */
export const signingSecrets = (masterKey: Buffer, endpoint: Endpoint, nowMs: number, open: Opener = openSecret): string[] => [
  open(masterKey, endpoint.secret),
  ...endpoint.previousSecrets.filter((p) => ms(p.expiresAt) > nowMs).map((p) => open(masterKey, p.secret)),
];

/**
 * `openSecret` that remembers what it opened (by the sealed value, so a rotated secret is a new entry), for the
 * endpoints in use: decrypting on every attempt costs more than signing. For one master key (one dispatcher).
 * Secrets stay in this process's memory only, as they do while an attempt is signed; none is ever logged.
 */
export const cachedOpener = (maxCached = 10_000): Opener => {
  const opened = new Map<string, string>();
  return (masterKey, sealed) => {
    const key = `${sealed.iv}.${sealed.tag}.${sealed.data}`;
    let secret = opened.get(key);
    if (secret === undefined) {
      secret = openSecret(masterKey, sealed);
      if (opened.size >= maxCached) opened.delete(opened.keys().next().value as string);
      opened.set(key, secret);
    }
    return secret;
  };
};
