import { collections } from './readModels';
import type { ApiKeyDoc, PortalTokenDoc } from './readModels';
import { projection } from './projection';

export const credentialsProjection = projection(
  'credentials',
  [collections.apiKeys, collections.portalTokens],
  ['ApiKeyCreated', 'ApiKeyRevoked', 'PortalTokenCreated', 'PortalTokenRevoked'],
  async (event, tx) => {
    const keys = tx.collection<ApiKeyDoc>(collections.apiKeys);
    const tokens = tx.collection<PortalTokenDoc>(collections.portalTokens);
    switch (event.type) {
      case 'ApiKeyCreated': {
        const { keyId, ...rest } = event.data;
        return keys.put({ id: keyId, ...rest, revoked: false });
      }
      case 'ApiKeyRevoked': {
        const key = await keys.get(event.data.keyId);
        if (key) await keys.put({ ...key, revoked: true });
        return;
      }
      case 'PortalTokenCreated': {
        const { tokenId, ...rest } = event.data;
        return tokens.put({ id: tokenId, ...rest, revoked: false });
      }
      case 'PortalTokenRevoked': {
        const token = await tokens.get(event.data.tokenId);
        if (token) await tokens.put({ ...token, revoked: true });
        return;
      }
      default:
        return;
    }
  },
);
