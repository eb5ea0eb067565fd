import type { Transport } from '../http.js';
import type {
  Endpoint,
  EndpointIn,
  EndpointPatch,
  EndpointStats,
  EndpointTestIn,
  EndpointWithSecret,
  ListResponse,
  OutboundMessage,
  PageQuery,
  RecoverIn,
  RecoverOut,
  RotateSecretIn,
  RotateSecretOut,
} from '../types.js';

export class Endpoints {
  constructor(private readonly http: Transport) {}

  /** The answer holds `secret`; keep it, it is shown again only on rotation. */
  create(appId: string, body: EndpointIn): Promise<EndpointWithSecret> {
    return this.http.request('v1.endpoint.create', { path: { appId }, body });
  }

  get(appId: string, endpointId: string): Promise<Endpoint> {
    return this.http.request('v1.endpoint.get', { path: { appId, endpointId } });
  }

  list(appId: string, query?: PageQuery): Promise<ListResponse<Endpoint>> {
    return this.http.request('v1.endpoint.list', { path: { appId }, query });
  }

  update(appId: string, endpointId: string, body: EndpointPatch): Promise<Endpoint> {
    return this.http.request('v1.endpoint.update', { path: { appId, endpointId }, body });
  }

  delete(appId: string, endpointId: string): Promise<void> {
    return this.http.request('v1.endpoint.delete', { path: { appId, endpointId } });
  }

  /** Replaces the subscriptions; an empty list means every event type. */
  setSubscriptions(appId: string, endpointId: string, eventTypes: string[]): Promise<Endpoint> {
    return this.http.request('v1.endpoint.setSubscriptions', { path: { appId, endpointId }, body: { eventTypes } });
  }

  /** Until `previousSecretExpiresAt` every delivery carries a signature for each secret. */
  rotateSecret(appId: string, endpointId: string, body: RotateSecretIn = {}): Promise<RotateSecretOut> {
    return this.http.request('v1.endpoint.rotateSecret', { path: { appId, endpointId }, body });
  }

  enable(appId: string, endpointId: string): Promise<Endpoint> {
    return this.http.request('v1.endpoint.enable', { path: { appId, endpointId } });
  }

  disable(appId: string, endpointId: string): Promise<Endpoint> {
    return this.http.request('v1.endpoint.disable', { path: { appId, endpointId } });
  }

  /** Sends a real, signed message to this endpoint only. */
  test(appId: string, endpointId: string, body: EndpointTestIn = {}): Promise<OutboundMessage> {
    return this.http.request('v1.endpoint.test', { path: { appId, endpointId }, body });
  }

  /** Re-queues the endpoint's `failed` and `exhausted` deliveries created in the window. */
  recover(appId: string, endpointId: string, body: RecoverIn): Promise<RecoverOut> {
    const window = { since: toIso(body.since), until: body.until === undefined ? undefined : toIso(body.until) };
    return this.http.request('v1.endpoint.recover', { path: { appId, endpointId }, body: window });
  }

  getStats(appId: string, endpointId: string): Promise<EndpointStats> {
    return this.http.request('v1.endpoint.getStats', { path: { appId, endpointId } });
  }
}

function toIso(value: string | Date): string {
  return value instanceof Date ? value.toISOString() : value;
}
