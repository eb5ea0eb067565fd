import type { Transport } from '../http.js';
import type {
  Destination, DestinationIn, DestinationPatch, Filter, FilterIn, FilterPatch, InboundJson, InboundRoute, InboundRouteIn, InboundRouteListQuery, InboundRoutePatch, Schema, SchemaIn,
  SchemaPatch, SchemaValidation, Source, SourceIn, SourcePatch, SourceWithSecret, Transform, TransformIn, TransformPatch, TransformTestIn, TransformTestResult,
} from '../inboundTypes.js';
import type { ListResponse, PageQuery } from '../types.js';

// The inbound configuration (docs/inbound.md): where webhooks come in, where they go, and what happens between.

export class Sources {
  constructor(private readonly http: Transport) {}

  /** The answer holds `ingestUrl` and, once, `signingSecret` (generated for a verifying source when none is given). */
  create(body: SourceIn): Promise<SourceWithSecret> {
    return this.http.request('v1.source.create', { body });
  }

  get(sourceId: string): Promise<Source> {
    return this.http.request('v1.source.get', { path: { sourceId } });
  }

  list(query?: PageQuery): Promise<ListResponse<Source>> {
    return this.http.request('v1.source.list', { query });
  }

  update(sourceId: string, body: SourcePatch): Promise<Source> {
    return this.http.request('v1.source.update', { path: { sourceId }, body });
  }

  delete(sourceId: string): Promise<void> {
    return this.http.request('v1.source.delete', { path: { sourceId } });
  }

  /** A new signing secret (the given one, or generated), answered once. */
  rotateSecret(sourceId: string, body: { signingSecret?: string } = {}): Promise<SourceWithSecret> {
    return this.http.request('v1.source.rotateSecret', { path: { sourceId }, body });
  }
}

export class Destinations {
  constructor(private readonly http: Transport) {}

  create(body: DestinationIn): Promise<Destination> {
    return this.http.request('v1.destination.create', { body });
  }

  get(destinationId: string): Promise<Destination> {
    return this.http.request('v1.destination.get', { path: { destinationId } });
  }

  list(query?: PageQuery): Promise<ListResponse<Destination>> {
    return this.http.request('v1.destination.list', { query });
  }

  update(destinationId: string, body: DestinationPatch): Promise<Destination> {
    return this.http.request('v1.destination.update', { path: { destinationId }, body });
  }

  delete(destinationId: string): Promise<void> {
    return this.http.request('v1.destination.delete', { path: { destinationId } });
  }
}

export class Routes {
  constructor(private readonly http: Transport) {}

  create(body: InboundRouteIn): Promise<InboundRoute> {
    return this.http.request('v1.route.create', { body });
  }

  get(routeId: string): Promise<InboundRoute> {
    return this.http.request('v1.route.get', { path: { routeId } });
  }

  list(query?: InboundRouteListQuery): Promise<ListResponse<InboundRoute>> {
    return this.http.request('v1.route.list', { query });
  }

  update(routeId: string, body: InboundRoutePatch): Promise<InboundRoute> {
    return this.http.request('v1.route.update', { path: { routeId }, body });
  }

  delete(routeId: string): Promise<void> {
    return this.http.request('v1.route.delete', { path: { routeId } });
  }
}

export class Filters {
  constructor(private readonly http: Transport) {}

  create(body: FilterIn): Promise<Filter> {
    return this.http.request('v1.filter.create', { body });
  }

  get(filterId: string): Promise<Filter> {
    return this.http.request('v1.filter.get', { path: { filterId } });
  }

  list(query?: PageQuery): Promise<ListResponse<Filter>> {
    return this.http.request('v1.filter.list', { query });
  }

  update(filterId: string, body: FilterPatch): Promise<Filter> {
    return this.http.request('v1.filter.update', { path: { filterId }, body });
  }

  delete(filterId: string): Promise<void> {
    return this.http.request('v1.filter.delete', { path: { filterId } });
  }
}

export class Transforms {
  constructor(private readonly http: Transport) {}

  create(body: TransformIn): Promise<Transform> {
    return this.http.request('v1.transform.create', { body });
  }

  get(transformId: string): Promise<Transform> {
    return this.http.request('v1.transform.get', { path: { transformId } });
  }

  list(query?: PageQuery): Promise<ListResponse<Transform>> {
    return this.http.request('v1.transform.list', { query });
  }

  update(transformId: string, body: TransformPatch): Promise<Transform> {
    return this.http.request('v1.transform.update', { path: { transformId }, body });
  }

  delete(transformId: string): Promise<void> {
    return this.http.request('v1.transform.delete', { path: { transformId } });
  }

  /** Runs code on a payload, nothing saved; a failing transform answers `{success: false, error}`, not an exception. */
  test(body: TransformTestIn): Promise<TransformTestResult> {
    return this.http.request('v1.transform.test', { body });
  }

  /** Runs a saved transform on a payload. */
  testSaved(transformId: string, payload: InboundJson): Promise<TransformTestResult> {
    return this.http.request('v1.transform.testSaved', { path: { transformId }, body: { payload } });
  }
}

export class Schemas {
  constructor(private readonly http: Transport) {}

  create(body: SchemaIn): Promise<Schema> {
    return this.http.request('v1.schema.create', { body });
  }

  get(schemaId: string): Promise<Schema> {
    return this.http.request('v1.schema.get', { path: { schemaId } });
  }

  list(query?: PageQuery): Promise<ListResponse<Schema>> {
    return this.http.request('v1.schema.list', { query });
  }

  update(schemaId: string, body: SchemaPatch): Promise<Schema> {
    return this.http.request('v1.schema.update', { path: { schemaId }, body });
  }

  delete(schemaId: string): Promise<void> {
    return this.http.request('v1.schema.delete', { path: { schemaId } });
  }

  /** An invalid payload answers `{valid: false, errors}`, not an exception. */
  validate(schemaId: string, payload: InboundJson): Promise<SchemaValidation> {
    return this.http.request('v1.schema.validate', { path: { schemaId }, body: { payload } });
  }
}
