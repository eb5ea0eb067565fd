import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import type { JsonValue } from '../domain/json';
import type { FilterDefinition } from '../domain/route/filters';
import type { Route } from '../domain/route/route';
import type { RoutedDelivery, SkippedRoute } from '../domain/inbound/inboundEvent';
import type { FilterSubject } from './filters';
import { evaluateFilter } from './filters';
import type { CompiledTransform, TransformContext } from './transforms';
import { TransformError, runTransform } from './transforms';

/** What the router reads of the current configuration: named filters, compiled transforms and schemas by id. */
export type RoutingResources = Readonly<{
  filters: ReadonlyMap<string, FilterDefinition>;
  transforms: ReadonlyMap<string, CompiledTransform>;
  schemas: ReadonlyMap<string, ValidateFunction>;
}>;

/** A delivery the router decided, with the body it will carry: the original bytes, or the transform's output. */
export type DecidedDelivery = RoutedDelivery & { body: Readonly<{ kind: 'original' }> | Readonly<{ kind: 'transformed'; output: JsonValue }> };

export type RoutingDecision = { deliveries: DecidedDelivery[]; skipped: SkippedRoute[] };

const schemaAjv = new Ajv({ allErrors: true, strict: false });

/** Compiles a schema's `jsonSchema` once; a schema ajv cannot compile is refused with ajv's reason. */
export const compileSchema = (jsonSchema: JsonValue): ValidateFunction => {
  if (jsonSchema === null || typeof jsonSchema !== 'object' || Array.isArray(jsonSchema)) throw new Error('jsonSchema must be a JSON Schema object');
  return schemaAjv.compile(jsonSchema);
};

const schemaErrors = (validate: ValidateFunction): string =>
  (validate.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath === '' ? '(root)' : e.instancePath} ${e.message ?? 'is invalid'}`)
    .join('; ');

/** Higher priority first; equal priorities in creation order (then id), so the order is the same on every instance. */
const ordered = (routes: readonly Route[]): Route[] =>
  [...routes].sort((a, b) => b.priority - a.priority || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));

/**
 * Routes one inbound event through its source's routes, as they are now: each route is skipped (inactive, its
 * filter does not match, the payload fails its schema, its transform fails) with the reason recorded, or yields a
 * delivery with the id `newDeliveryId` gives it (derived from the route on a first routing: two routers agree). The payload is the parsed JSON body (undefined when the body is not JSON: then filters see
 * only headers, a schema fails, and a transform cannot run).
 */
export const decideRouting = async (
  routes: readonly Route[],
  subject: FilterSubject,
  resources: RoutingResources,
  newDeliveryId: (routeId: string) => string,
  context: TransformContext,
): Promise<RoutingDecision> => {
  const decision: RoutingDecision = { deliveries: [], skipped: [] };
  const skip = (routeId: string, reason: SkippedRoute['reason'], detail: string | null): void => {
    decision.skipped.push({ routeId, reason, detail });
  };
  for (const route of ordered(routes)) {
    if (!route.isActive) {
      skip(route.id, 'inactive', null);
      continue;
    }
    const filter = route.filterId === null ? route.filter : (resources.filters.get(route.filterId) ?? null);
    if (route.filterId !== null && filter === null) {
      skip(route.id, 'filter', `filter ${route.filterId} does not exist`);
      continue;
    }
    if (filter !== null) {
      const outcome = evaluateFilter(filter, subject);
      if (!outcome.matches) {
        const failed = outcome.results.flatMap((r, i) => (r.passed ? [] : [`conditions[${i}]`]));
        skip(route.id, 'filter', `${failed.join(', ')} did not pass (${filter.logic})`);
        continue;
      }
    }
    if (route.schemaId !== null) {
      const validate = resources.schemas.get(route.schemaId);
      if (validate === undefined) {
        skip(route.id, 'schema', `schema ${route.schemaId} does not exist`);
        continue;
      }
      if (!validate(subject.payload)) {
        skip(route.id, 'schema', schemaErrors(validate));
        continue;
      }
    }
    let body: DecidedDelivery['body'] = { kind: 'original' };
    if (route.transformId !== null) {
      const transform = resources.transforms.get(route.transformId);
      if (transform === undefined) {
        skip(route.id, 'transform', `transform ${route.transformId} does not exist`);
        continue;
      }
      if (subject.payload === undefined) {
        skip(route.id, 'transform', 'the body is not JSON');
        continue;
      }
      try {
        body = { kind: 'transformed', output: (await runTransform(transform, subject.payload as JsonValue, context)).output };
      } catch (error) {
        if (!(error instanceof TransformError)) throw error;
        skip(route.id, 'transform', `${error.code}: ${error.message}`);
        continue;
      }
    }
    decision.deliveries.push({ deliveryId: newDeliveryId(route.id), routeId: route.id, destinationId: route.destinationId, body });
  }
  return decision;
};
