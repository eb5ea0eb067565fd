import { validationError } from '../../domain/errors';
import type { JsonObject } from '../../domain/json';
import type { ApplicationDoc } from '../../projections/readModels';
import type { ApplicationIn } from '../commands/applications';
import type { Schema } from '../route';
import type { ApplicationTotals } from './stats';

// Applications on the compat surface ⇄ our application: the one place their names meet ours.

export type CompatApplicationBody = {
  name?: string;
  externalId?: string | null;
  uid?: string | null;
  metadata?: JsonObject | null;
  isDisabled?: boolean;
  disabledReason?: string | null;
  rateLimitPerSecond?: number | null;
  rateLimitPerMinute?: number | null;
  rateLimitPerHour?: number | null;
};

/** `externalId` and `uid` are two spellings of our `uid`; when both come, they must agree. */
export const uidOf = (body: CompatApplicationBody): string | null => {
  const { externalId, uid } = body;
  if (externalId != null && uid != null && externalId !== uid) {
    throw validationError('externalId', 'same_as_uid', 'externalId and uid are the same field; send one, or the same value in both.');
  }
  return externalId ?? uid ?? null;
};

export const applicationCreateIn = (body: CompatApplicationBody): ApplicationIn => {
  if (body.name === undefined) throw validationError('name', 'required', 'name is required.');
  return { name: body.name, uid: uidOf(body), ...(body.metadata ? { metadata: body.metadata } : {}) };
};

/** Upsert: the uid is required; a missing name defaults to the uid. */
export const applicationUpsertIn = (body: CompatApplicationBody): { uid: string; name: string; metadata?: JsonObject } => {
  const uid = uidOf(body);
  if (uid === null) throw validationError('externalId', 'required', 'externalId (or uid) is required to upsert an application.');
  return { uid, name: body.name ?? uid, ...(body.metadata ? { metadata: body.metadata } : {}) };
};

export type ApplicationPatch = { name?: string; metadata?: JsonObject };

/** The fields to change, and whether to disable (with its reason) or enable; null: leave as it is. */
export const applicationPatchIn = (body: CompatApplicationBody): { patch: ApplicationPatch; disable: { disabled: boolean; reason: string | null } | null } => ({
  patch: {
    ...(body.name !== undefined ? { name: body.name } : {}),
    ...(body.metadata !== undefined ? { metadata: body.metadata ?? {} } : {}),
  },
  disable: body.isDisabled === undefined ? null : { disabled: body.isDisabled, reason: body.isDisabled ? (body.disabledReason ?? null) : null },
});

const EMPTY_TOTALS: ApplicationTotals = { totalEndpoints: 0, totalMessagesSent: 0, totalMessagesFailed: 0, lastEventAt: null };

/**
 * Our application in the compat shape. isDisabled is modelled (ApplicationDisabled/Enabled: new messages reach no
 * endpoint). Not modelled, answered with the documented default: the per-application rate limits, null (no limit).
 */
export const applicationOut = (app: ApplicationDoc, organizationId: string, totals: ApplicationTotals = EMPTY_TOTALS): JsonObject => ({
  id: app.id,
  organizationId,
  externalId: app.uid,
  uid: app.uid,
  name: app.name,
  metadata: app.metadata,
  isDisabled: app.disabled ?? false,
  disabledAt: app.disabledAt ?? null,
  disabledReason: app.disabledReason ?? null,
  rateLimitPerSecond: null,
  rateLimitPerMinute: null,
  rateLimitPerHour: null,
  totalEndpoints: totals.totalEndpoints,
  totalMessagesSent: totals.totalMessagesSent,
  totalMessagesFailed: totals.totalMessagesFailed,
  lastEventAt: totals.lastEventAt,
  createdAt: app.createdAt,
  updatedAt: app.updatedAt,
});

const str: Schema = { type: 'string' };
const nStr: Schema = { type: ['string', 'null'] };
const int: Schema = { type: 'integer' };
const nInt: Schema = { type: ['integer', 'null'] };
const bool: Schema = { type: 'boolean' };

export const applicationSchema: Schema = {
  type: 'object',
  required: [
    'id', 'organizationId', 'externalId', 'uid', 'name', 'metadata', 'isDisabled', 'disabledAt', 'disabledReason', 'rateLimitPerSecond',
    'rateLimitPerMinute', 'rateLimitPerHour', 'totalEndpoints', 'totalMessagesSent', 'totalMessagesFailed', 'lastEventAt', 'createdAt', 'updatedAt',
  ],
  properties: {
    id: str, organizationId: str, externalId: nStr, uid: nStr, name: str, metadata: { type: 'object' }, isDisabled: bool, disabledAt: nStr,
    disabledReason: nStr, rateLimitPerSecond: nInt, rateLimitPerMinute: nInt, rateLimitPerHour: nInt, totalEndpoints: int,
    totalMessagesSent: int, totalMessagesFailed: int, lastEventAt: nStr, createdAt: str, updatedAt: str,
  },
};

const rate: Schema = { type: ['integer', 'null'], minimum: 0 };

/** What we read of a body; every other key is ignored (no additionalProperties: false on this surface). */
export const applicationBodySchema: Schema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 256 },
    externalId: { type: ['string', 'null'], minLength: 1, maxLength: 256 },
    uid: { type: ['string', 'null'], minLength: 1, maxLength: 256 },
    metadata: { type: ['object', 'null'] },
    isDisabled: bool,
    disabledReason: nStr,
    rateLimitPerSecond: rate,
    rateLimitPerMinute: rate,
    rateLimitPerHour: rate,
  },
};
