import type { Transport } from '../http.js';
import type { EventType, EventTypeIn, EventTypeListQuery, EventTypePatch, ListResponse } from '../types.js';

export class EventTypes {
  constructor(private readonly http: Transport) {}

  /** 409 `ConflictError` if the name exists. */
  create(body: EventTypeIn): Promise<EventType> {
    return this.http.request('v1.eventType.create', { body });
  }

  get(name: string): Promise<EventType> {
    return this.http.request('v1.eventType.get', { path: { name } });
  }

  list(query?: EventTypeListQuery): Promise<ListResponse<EventType>> {
    return this.http.request('v1.eventType.list', { query });
  }

  update(name: string, body: EventTypePatch): Promise<EventType> {
    return this.http.request('v1.eventType.update', { path: { name }, body });
  }

  /** New messages of an archived type are refused (422); existing deliveries go on. */
  archive(name: string): Promise<void> {
    return this.http.request('v1.eventType.archive', { path: { name } });
  }

  unarchive(name: string): Promise<EventType> {
    return this.http.request('v1.eventType.unarchive', { path: { name } });
  }
}
