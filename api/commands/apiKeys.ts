import { randomBytes } from 'node:crypto';
import { apiKeyDecider } from '../../domain/access/access';
import { notFound } from '../../domain/errors';
import { derivedKeyId } from '../../domain/ids';
import { streams } from '../../domain/streams';
import { collections } from '../../projections/readModels';
import type { ApiKeyDoc } from '../../projections/readModels';
import { handleCommand } from '../../store/commandHandler';
import { hashCredential } from '../auth';
import type { ApiDeps } from '../deps';
import { metadataOf, readYourWrites } from './common';

/** An API key as every list shows it: never its value (or its hash), which exist only in the answer to its creation. */
export type ApiKeyView = Readonly<{ id: string; name: string; revoked: boolean; createdAt: string }>;

export const apiKeyView = (doc: ApiKeyDoc): ApiKeyView => ({ id: doc.id, name: doc.name, revoked: doc.revoked, createdAt: doc.createdAt });

/**
 * A new admin key, shown once: only its hash enters the event (its id derives from the hash, as at bootstrap).
 * `prefix`: `whr_` for keys made on /api (the official CLI and MCP server refuse keys without it).
 */
export const createApiKey = async (deps: ApiDeps, name: string, prefix = 'hb_sk_'): Promise<ApiKeyView & { key: string }> => {
  const key = `${prefix}${randomBytes(24).toString('base64url')}`;
  const keyHash = hashCredential(key);
  const keyId = derivedKeyId(keyHash);
  const { position } = await handleCommand(
    deps.events,
    streams.apiKey(keyId),
    apiKeyDecider,
    { type: 'CreateApiKey', data: { keyId, name, keyHash }, metadata: metadataOf(deps) },
    { expectedRevision: 'no_stream' },
  );
  await readYourWrites(deps, position);
  const doc = await deps.reads.collection<ApiKeyDoc>(collections.apiKeys).get(keyId);
  return { id: keyId, name, revoked: false, createdAt: doc?.createdAt ?? deps.now().toISOString(), key };
};

export const listApiKeys = async (deps: ApiDeps): Promise<ApiKeyView[]> => {
  // Few keys, and no index by creation time: every page by id, then oldest first.
  const keys = deps.reads.collection<ApiKeyDoc>(collections.apiKeys);
  const all: ApiKeyDoc[] = [];
  let cursor: string | undefined;
  do {
    const page = await keys.find({ limit: 500, ...(cursor ? { cursor } : {}) });
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id)).map(apiKeyView);
};

/** Revoking twice is a no-op; an unknown id is a 404. Takes effect within the auth cache's second. */
export const revokeApiKey = async (deps: ApiDeps, keyId: string): Promise<void> => {
  if (!(await deps.reads.collection<ApiKeyDoc>(collections.apiKeys).get(keyId))) throw notFound('api key', keyId);
  const { position } = await handleCommand(deps.events, streams.apiKey(keyId), apiKeyDecider, { type: 'RevokeApiKey', data: { keyId }, metadata: metadataOf(deps) });
  await readYourWrites(deps, position);
};
