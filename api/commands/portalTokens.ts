import { randomBytes } from 'node:crypto';
import { portalTokenDecider } from '../../domain/access/access';
import { newId } from '../../domain/ids';
import { streams } from '../../domain/streams';
import { handleCommand } from '../../store/commandHandler';
import { hashCredential } from '../auth';
import type { ApiDeps } from '../deps';
import { metadataOf, readYourWrites, requireApplication } from './common';

export const MAX_PORTAL_TOKEN_SECONDS = 30 * 86_400;

/** A portal token is shown once; only its hash is kept. */
export const createPortalToken = async (
  deps: ApiDeps,
  appIdOrUid: string,
  expiresIn: number,
): Promise<{ id: string; token: string; expiresAt: string; url: string }> => {
  const app = await requireApplication(deps, appIdOrUid);
  const token = `hbpt_${randomBytes(32).toString('base64url')}`;
  const tokenId = newId('ptk');
  const expiresAt = new Date(deps.now().getTime() + expiresIn * 1000).toISOString();
  const { position } = await handleCommand(deps.events, streams.portalToken(tokenId), portalTokenDecider, {
    type: 'CreatePortalToken',
    data: { tokenId, applicationId: app.id, tokenHash: hashCredential(token), expiresAt },
    metadata: metadataOf(deps),
  });
  await readYourWrites(deps, position);
  // The token travels in the fragment: it never reaches a server log through the URL.
  return { id: tokenId, token, expiresAt, url: `${deps.config.publicUrl.replace(/\/$/, '')}/portal#token=${token}` };
};

export const revokePortalToken = async (deps: ApiDeps, tokenId: string): Promise<void> => {
  const { position } = await handleCommand(deps.events, streams.portalToken(tokenId), portalTokenDecider, {
    type: 'RevokePortalToken',
    data: { tokenId },
    metadata: metadataOf(deps),
  });
  await readYourWrites(deps, position);
};
