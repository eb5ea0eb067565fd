import { randomBytes } from 'node:crypto';
import { portalTokenDecider } from '../../domain/access/access';
import type { PortalScope } from '../../domain/access/access';
import { notFound } from '../../domain/errors';
import { newId } from '../../domain/ids';
import { streams } from '../../domain/streams';
import { handleCommand } from '../../store/commandHandler';
import { collections } from '../../projections/readModels';
import type { PortalTokenDoc } from '../../projections/readModels';
import { hashCredential } from '../auth';
import type { ApiDeps } from '../deps';
import { findAfterOwnWrites, metadataOf, readBack, readYourWrites, requireApplication } from './common';

export const MAX_PORTAL_TOKEN_SECONDS = 30 * 86_400;
export const TOKEN_PREFIX_LENGTH = 13; // "whpt_" and 8 characters: enough to tell tokens apart, far too few to guess one

export type PortalTokenIn = Readonly<{ expiresIn: number; name?: string | null; scopes?: readonly string[] }>;

/** A token as every surface may show it: never its value, which exists only in the answer to its creation. */
export type PortalTokenView = Readonly<{
  id: string;
  applicationId: string;
  tokenPrefix: string | null;
  name: string | null;
  scopes: readonly PortalScope[];
  expiresAt: string;
  createdAt: string;
  isExpired: boolean;
  isRevoked: boolean;
}>;

export const portalTokenView = (doc: PortalTokenDoc, now: Date): PortalTokenView => ({
  id: doc.id,
  applicationId: doc.applicationId,
  tokenPrefix: doc.tokenPrefix ?? null,
  name: doc.name ?? null,
  scopes: doc.scopes ?? ['read', 'write'],
  expiresAt: doc.expiresAt,
  createdAt: doc.createdAt,
  isExpired: doc.expiresAt <= now.toISOString(),
  isRevoked: doc.revoked,
});

/** The hosted portal's address with the token in the fragment: a fragment never reaches a server or its logs. */
export const magicLink = (publicUrl: string, token: string): string => `${publicUrl.replace(/\/$/, '')}/portal#token=${token}`;

/** A portal token is shown once; only its hash (and its first characters) is kept. */
export const createPortalToken = async (
  deps: ApiDeps,
  appIdOrUid: string,
  input: PortalTokenIn,
): Promise<PortalTokenView & { token: string; url: string }> => {
  const app = await requireApplication(deps, appIdOrUid);
  const token = `whpt_${randomBytes(32).toString('base64url')}`;
  const tokenId = newId('ptk');
  const expiresAt = new Date(deps.now().getTime() + input.expiresIn * 1000).toISOString();
  const { position } = await handleCommand(deps.events, streams.portalToken(tokenId), portalTokenDecider, {
    type: 'CreatePortalToken',
    data: {
      tokenId,
      applicationId: app.id,
      tokenHash: hashCredential(token),
      tokenPrefix: token.slice(0, TOKEN_PREFIX_LENGTH),
      expiresAt,
      name: input.name,
      scopes: input.scopes,
    },
    metadata: metadataOf(deps),
  });
  await readYourWrites(deps, position);
  const doc = await readBack(() => requirePortalToken(deps, app.id, tokenId));
  return { ...portalTokenView(doc, deps.now()), token, url: magicLink(deps.config.publicUrl, token) };
};

/** `applicationId` null: any application's token (an API key may revoke any). */
export const requirePortalToken = async (deps: ApiDeps, applicationId: string | null, tokenId: string): Promise<PortalTokenDoc> => {
  const doc = await findAfterOwnWrites(deps, () => deps.reads.collection<PortalTokenDoc>(collections.portalTokens).get(tokenId));
  if (!doc || (applicationId !== null && doc.applicationId !== applicationId)) throw notFound('portal token', tokenId);
  return doc;
};

/** An application's tokens, newest first (at most 1000: they expire within 30 days, 100 an hour at most). */
export const listPortalTokens = async (deps: ApiDeps, appIdOrUid: string): Promise<PortalTokenView[]> => {
  const app = await requireApplication(deps, appIdOrUid);
  const page = await deps.reads
    .collection<PortalTokenDoc>(collections.portalTokens)
    .find({ where: { applicationId: app.id }, orderBy: { key: 'createdAt', direction: 'desc' }, limit: 1000 });
  const now = deps.now();
  return page.items.map((doc) => portalTokenView(doc, now));
};

export const revokePortalToken = async (deps: ApiDeps, tokenId: string): Promise<void> => {
  const { position } = await handleCommand(deps.events, streams.portalToken(tokenId), portalTokenDecider, {
    type: 'RevokePortalToken',
    data: { tokenId },
    metadata: metadataOf(deps),
  });
  await readYourWrites(deps, position);
};
