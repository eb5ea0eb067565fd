import type { Command, Decider, Event } from '../decider';
import { assertNever, conflict, notFound, validationError } from '../errors';
import type { JsonObject } from '../json';
import type { FilterCondition, FilterLogic } from '../route/filters';
import { requireFilterConditions, requireFilterLogic } from '../route/filters';
import { requireText } from '../validation';

/**
 * The named, reusable parts a route refers to: filters (a FilterCondition list and its logic), transforms (JSONata or
 * a field mapping) and schemas (JSON Schema). Each is a stream of its own; `version` counts its changes, as the
 * official SDK's `Transform.version` and `Schema.version` do. Whether a transform's code compiles and a schema is
 * one ajv accepts is checked by the command handler (the engines are not the domain's); shapes and rules are here.
 */
export type FilterSettings = { name: string; description: string | null; conditions: FilterCondition[]; logic: FilterLogic };
export const TRANSFORM_TYPES = ['jsonata', 'mapping'] as const;
export type TransformKind = (typeof TRANSFORM_TYPES)[number];
export type TransformSettings = { name: string; description: string | null; transformType: TransformKind; code: string };
export type SchemaSettings = { name: string; description: string | null; jsonSchema: JsonObject };

export type FilterCreated = Event<'FilterCreated', FilterSettings & { filterId: string; createdAt: string }>;
export type FilterUpdated = Event<'FilterUpdated', FilterSettings & { filterId: string; version: number; updatedAt: string }>;
export type FilterDeleted = Event<'FilterDeleted', { filterId: string; deletedAt: string }>;
export type TransformCreated = Event<'TransformCreated', TransformSettings & { transformId: string; createdAt: string }>;
export type TransformUpdated = Event<'TransformUpdated', TransformSettings & { transformId: string; version: number; updatedAt: string }>;
export type TransformDeleted = Event<'TransformDeleted', { transformId: string; deletedAt: string }>;
export type SchemaCreated = Event<'SchemaCreated', SchemaSettings & { schemaId: string; createdAt: string }>;
export type SchemaUpdated = Event<'SchemaUpdated', SchemaSettings & { schemaId: string; version: number; updatedAt: string }>;
export type SchemaDeleted = Event<'SchemaDeleted', { schemaId: string; deletedAt: string }>;

export type FilterEvent = FilterCreated | FilterUpdated | FilterDeleted;
export type TransformEvent = TransformCreated | TransformUpdated | TransformDeleted;
export type SchemaEvent = SchemaCreated | SchemaUpdated | SchemaDeleted;
export type PipelineEvent = FilterEvent | TransformEvent | SchemaEvent;

export type Versioned<S> = Readonly<S & { id: string; version: number; createdAt: string; updatedAt: string }>;
export type PartState<S> = Readonly<{ status: 'empty' }> | Readonly<{ status: 'active' | 'deleted'; part: Versioned<S> }>;

const description = (value: string | null | undefined, base: string | null): string | null =>
  value === undefined ? base : value === null ? null : requireText('description', value, 2048);

/** The transform types the clients name; those with no engine here are refused, saying why. */
export const requireTransformType = (field: string, type: string): TransformKind => {
  if ((TRANSFORM_TYPES as readonly string[]).includes(type)) return type as TransformKind;
  if (type === 'javascript') {
    throw validationError(
      field,
      'unsupported',
      `${field} javascript is not supported by a self-hosted Hookbase: there is no real sandbox with time and memory limits here (node:vm is not a security mechanism); use jsonata or mapping.`,
    );
  }
  if (type === 'xslt' || type === 'liquid') throw validationError(field, 'unsupported', `${field} ${type} is not supported: no ${type} engine is installed; use jsonata or mapping.`);
  throw validationError(field, 'enum', `${field} must be one of ${TRANSFORM_TYPES.join(', ')} (got ${type}).`);
};

const MAX_CODE = 64 * 1024;

export type FilterInput = { name?: string; description?: string | null; conditions?: unknown; logic?: unknown };
export type TransformInput = { name?: string; description?: string | null; transformType?: string; code?: string };
export type SchemaInput = { name?: string; description?: string | null; jsonSchema?: unknown };

const filterFrom = (input: FilterInput, base: FilterSettings): FilterSettings => ({
  name: input.name === undefined ? base.name : requireText('name', input.name),
  description: description(input.description, base.description),
  conditions: input.conditions === undefined ? base.conditions : requireFilterConditions('conditions', input.conditions),
  logic: input.logic === undefined ? base.logic : requireFilterLogic('logic', input.logic),
});

const transformFrom = (input: TransformInput, base: TransformSettings): TransformSettings => {
  const code = input.code === undefined ? base.code : input.code;
  if (code.trim() === '') throw validationError('code', 'required', 'code must not be empty.');
  if (code.length > MAX_CODE) throw validationError('code', 'max_length', `code must be at most ${MAX_CODE} characters.`);
  return {
    name: input.name === undefined ? base.name : requireText('name', input.name),
    description: description(input.description, base.description),
    transformType: input.transformType === undefined ? base.transformType : requireTransformType('transformType', input.transformType),
    code,
  };
};

const schemaFrom = (input: SchemaInput, base: SchemaSettings): SchemaSettings => {
  const raw = input.jsonSchema === undefined ? base.jsonSchema : input.jsonSchema;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw validationError('jsonSchema', 'type', 'jsonSchema must be a JSON Schema object.');
  return { name: input.name === undefined ? base.name : requireText('name', input.name), description: description(input.description, base.description), jsonSchema: raw as JsonObject };
};

type PartCommand<K extends string, I> =
  | Command<`Create${K}`, I & { id: string }>
  | Command<`Update${K}`, I & { id: string }>
  | Command<`Delete${K}`, { id: string }>;

export type FilterCommand = PartCommand<'Filter', FilterInput>;
export type TransformCommand = PartCommand<'Transform', TransformInput>;
export type SchemaCommand = PartCommand<'Schema', SchemaInput>;

/** One decider per kind, from the same steps: create once, update (version + 1), delete; a deleted part is gone. */
const partDecider = <K extends 'Filter' | 'Transform' | 'Schema', I, S, E extends PipelineEvent>(
  kind: K,
  noun: string,
  settingsFrom: (input: I, base: S) => S,
  empty: () => S,
  events: {
    created: (id: string, s: S, at: string) => E;
    updated: (id: string, s: S, version: number, at: string) => E;
    deleted: (id: string, at: string) => E;
    fold: (state: PartState<S>, event: E) => PartState<S>;
  },
): Decider<PartState<S>, PartCommand<K, I>, E> => ({
  initialState: () => ({ status: 'empty' }),
  evolve: events.fold,
  decide: (command, state) => {
    const now = command.metadata.now;
    const id = command.data.id;
    if (command.type === `Create${kind}`) {
      if (state.status !== 'empty') throw conflict(`${noun}_exists`, `The ${noun} ${id} already exists.`);
      const { id: _id, ...input } = command.data as I & { id: string };
      return [events.created(id, settingsFrom(input as I, empty()), now)];
    }
    if (state.status !== 'active') throw notFound(noun, id);
    if (command.type === `Update${kind}`) {
      const { id: _id, ...input } = command.data as I & { id: string };
      const { id: _pid, version, createdAt: _c, updatedAt: _u, ...base } = state.part as Versioned<S> & Record<string, unknown>;
      return [events.updated(id, settingsFrom(input as I, base as unknown as S), version + 1, now)];
    }
    if (command.type === `Delete${kind}`) return [events.deleted(id, now)];
    return assertNever(command as never);
  },
});

const folded = <S>(state: PartState<S>, kind: 'created' | 'updated' | 'deleted', id: string, settings: S | null, version: number, at: string): PartState<S> => {
  if (kind === 'created' && settings !== null) return { status: 'active', part: { ...settings, id, version: 1, createdAt: at, updatedAt: at } };
  if (state.status !== 'active') return state;
  if (kind === 'updated' && settings !== null) return { status: 'active', part: { ...state.part, ...settings, version, updatedAt: at } };
  return { status: 'deleted', part: state.part };
};

export const filterDecider = partDecider<'Filter', FilterInput, FilterSettings, FilterEvent>('Filter', 'filter', filterFrom, () => ({ name: '', description: null, conditions: [], logic: 'and' }), {
  created: (filterId, s, createdAt) => ({ type: 'FilterCreated', data: { ...s, filterId, createdAt } }),
  updated: (filterId, s, version, updatedAt) => ({ type: 'FilterUpdated', data: { ...s, filterId, version, updatedAt } }),
  deleted: (filterId, deletedAt) => ({ type: 'FilterDeleted', data: { filterId, deletedAt } }),
  fold: (state, e) => {
    switch (e.type) {
      case 'FilterCreated': {
        const { filterId, createdAt, ...s } = e.data;
        return folded(state, 'created', filterId, s, 1, createdAt);
      }
      case 'FilterUpdated': {
        const { filterId, version, updatedAt, ...s } = e.data;
        return folded(state, 'updated', filterId, s, version, updatedAt);
      }
      case 'FilterDeleted':
        return folded(state, 'deleted', e.data.filterId, null, 0, e.data.deletedAt);
      default:
        return assertNever(e);
    }
  },
});

export const transformDecider = partDecider<'Transform', TransformInput, TransformSettings, TransformEvent>(
  'Transform',
  'transform',
  transformFrom,
  () => ({ name: '', description: null, transformType: 'jsonata', code: '' }),
  {
    created: (transformId, s, createdAt) => ({ type: 'TransformCreated', data: { ...s, transformId, createdAt } }),
    updated: (transformId, s, version, updatedAt) => ({ type: 'TransformUpdated', data: { ...s, transformId, version, updatedAt } }),
    deleted: (transformId, deletedAt) => ({ type: 'TransformDeleted', data: { transformId, deletedAt } }),
    fold: (state, e) => {
      switch (e.type) {
        case 'TransformCreated': {
          const { transformId, createdAt, ...s } = e.data;
          return folded(state, 'created', transformId, s, 1, createdAt);
        }
        case 'TransformUpdated': {
          const { transformId, version, updatedAt, ...s } = e.data;
          return folded(state, 'updated', transformId, s, version, updatedAt);
        }
        case 'TransformDeleted':
          return folded(state, 'deleted', e.data.transformId, null, 0, e.data.deletedAt);
        default:
          return assertNever(e);
      }
    },
  },
);

export const schemaDecider = partDecider<'Schema', SchemaInput, SchemaSettings, SchemaEvent>('Schema', 'schema', schemaFrom, () => ({ name: '', description: null, jsonSchema: {} }), {
  created: (schemaId, s, createdAt) => ({ type: 'SchemaCreated', data: { ...s, schemaId, createdAt } }),
  updated: (schemaId, s, version, updatedAt) => ({ type: 'SchemaUpdated', data: { ...s, schemaId, version, updatedAt } }),
  deleted: (schemaId, deletedAt) => ({ type: 'SchemaDeleted', data: { schemaId, deletedAt } }),
  fold: (state, e) => {
    switch (e.type) {
      case 'SchemaCreated': {
        const { schemaId, createdAt, ...s } = e.data;
        return folded(state, 'created', schemaId, s, 1, createdAt);
      }
      case 'SchemaUpdated': {
        const { schemaId, version, updatedAt, ...s } = e.data;
        return folded(state, 'updated', schemaId, s, version, updatedAt);
      }
      case 'SchemaDeleted':
        return folded(state, 'deleted', e.data.schemaId, null, 0, e.data.deletedAt);
      default:
        return assertNever(e);
    }
  },
});
