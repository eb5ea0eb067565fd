import { validationError } from '../../domain/errors';
import type { JsonObject } from '../../domain/json';
import type { PortalTokenDoc } from '../../projections/readModels';
import type { Schema } from '../route';

// Portal tokens on the compat surface ⇄ ours.

export type PortalScope = 'read' | 'write';

export type PortalTokenBody = { name?: string | null; scopes?: PortalScope[] | null; expiresInDays?: number; allowedIps?: string[] | null };

export type PortalTokenInput = { name: string | null; scopes: PortalScope[]; expiresInSeconds: number };

export const DEFAULT_EXPIRES_IN_DAYS = 30;

/** scopes default to both; expiresInDays 1–365 (default 30). `allowedIps` is accepted and not enforced. */
export const portalTokenIn = (body: PortalTokenBody): PortalTokenInput => {
  const days = body.expiresInDays ?? DEFAULT_EXPIRES_IN_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > 365) throw validationError('expiresInDays', 'range', 'expiresInDays must be a whole number from 1 to 365.');
  const scopes = body.scopes && body.scopes.length > 0 ? [...new Set(body.scopes)] : (['read', 'write'] as PortalScope[]);
  return { name: body.name ?? null, scopes, expiresInSeconds: days * 86_400 };
};

/** Older tokens (made before prefixes, names and scopes were kept): prefix and name null, both scopes. */
export const portalTokenOut = (t: PortalTokenDoc, now: Date): JsonObject => ({
  id: t.id,
  applicationId: t.applicationId,
  tokenPrefix: t.tokenPrefix ?? null,
  name: t.name ?? null,
  scopes: [...(t.scopes ?? ['read', 'write'])],
  expiresAt: t.expiresAt,
  createdAt: t.createdAt,
  isExpired: t.expiresAt <= now.toISOString(),
  isRevoked: t.revoked,
});

const TOKEN_FIELDS: Record<string, Schema> = {
  id: { type: 'string' }, applicationId: { type: 'string' }, tokenPrefix: { type: ['string', 'null'] }, name: { type: ['string', 'null'] },
  scopes: { type: 'array', items: { enum: ['read', 'write'] } }, expiresAt: { type: 'string' }, createdAt: { type: 'string' },
  isExpired: { type: 'boolean' }, isRevoked: { type: 'boolean' },
};

export const portalTokenSchema: Schema = { type: 'object', required: Object.keys(TOKEN_FIELDS), properties: TOKEN_FIELDS };

export const createdTokenSchema: Schema = {
  type: 'object',
  required: [...Object.keys(TOKEN_FIELDS), 'token', 'url'],
  properties: { ...TOKEN_FIELDS, token: { type: 'string' }, url: { type: 'string' } },
};

export const portalTokenBodySchema: Schema = {
  type: 'object',
  properties: {
    name: { type: ['string', 'null'], maxLength: 256 },
    scopes: { type: ['array', 'null'], items: { enum: ['read', 'write'] } },
    expiresInDays: { type: 'integer' },
    allowedIps: { type: ['array', 'null'], items: { type: 'string' } },
  },
};
