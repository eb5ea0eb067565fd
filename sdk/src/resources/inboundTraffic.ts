import type { Transport } from '../http.js';
import type {
  DlqBulkResult, DlqListQuery, InboundDelivery, InboundDeliveryDetail, InboundDeliveryListQuery, InboundEvent, InboundEventDetail, InboundEventListQuery,
  InboundEventReplay,
} from '../inboundTypes.js';
import type { ListResponse } from '../types.js';

// Inbound traffic (docs/inbound.md): what came in, what was delivered, and the deliveries with no attempt left.

export class InboundEvents {
  constructor(private readonly http: Transport) {}

  list(query?: InboundEventListQuery): Promise<ListResponse<InboundEvent>> {
    return this.http.request('v1.inboundEvent.list', { query });
  }

  /** With its deliveries and its history read from the log. */
  get(eventId: string): Promise<InboundEventDetail> {
    return this.http.request('v1.inboundEvent.get', { path: { eventId } });
  }

  /** Routes the event again through the current routes: new deliveries. */
  replay(eventId: string): Promise<InboundEventReplay> {
    return this.http.request('v1.inboundEvent.replay', { path: { eventId } });
  }
}

export class InboundDeliveries {
  constructor(private readonly http: Transport) {}

  list(query?: InboundDeliveryListQuery): Promise<ListResponse<InboundDelivery>> {
    return this.http.request('v1.inboundDelivery.list', { query });
  }

  /** With every attempt (`attemptList`) and its history read from the log. */
  get(deliveryId: string): Promise<InboundDeliveryDetail> {
    return this.http.request('v1.inboundDelivery.get', { path: { deliveryId } });
  }

  /** Delivers again with a fresh attempt budget, on its current destination. */
  replay(deliveryId: string): Promise<InboundDelivery> {
    return this.http.request('v1.inboundDelivery.replay', { path: { deliveryId } });
  }
}

export class Dlq {
  constructor(private readonly http: Transport) {}

  /** Deliveries whose attempts are exhausted. */
  list(query?: DlqListQuery): Promise<ListResponse<InboundDelivery>> {
    return this.http.request('v1.dlq.list', { query });
  }

  /** Retries the named deliveries (or, with none named, up to 100 of the queue). */
  retry(deliveryIds?: string[]): Promise<DlqBulkResult> {
    return this.http.request('v1.dlq.retry', { body: deliveryIds === undefined ? {} : { deliveryIds } });
  }

  /** Discards the named deliveries (or up to 100) from the queue; their history stays in the log. */
  delete(deliveryIds?: string[]): Promise<DlqBulkResult> {
    return this.http.request('v1.dlq.delete', { body: deliveryIds === undefined ? {} : { deliveryIds } });
  }
}
