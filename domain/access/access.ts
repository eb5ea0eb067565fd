import type { Command, Decider, Event } from '../decider';
import { assertNever, conflict, notFound, validationError } from '../errors';
import { requireText } from '../validation';

// API keys and portal tokens: only hashes of the secrets enter events.

export type ApiKeyCreated = Event<'ApiKeyCreated', { keyId: string; name: string; keyHash: string; createdAt: string }>;
export type ApiKeyRevoked = Event<'ApiKeyRevoked', { keyId: string; revokedAt: string }>;
export type ApiKeyEvent = ApiKeyCreated | ApiKeyRevoked;

/** What a portal token allows: `read` the application's endpoints, messages and attempts; `write` change them. */
export type PortalScope = 'read' | 'write';
export const PORTAL_SCOPES: readonly PortalScope[] = ['read', 'write'];

/**
 * v2 adds `name`, `scopes` and `tokenPrefix` (the token's first characters, to tell tokens apart in a list);
 * a v1 token is upcast as unnamed, with both scopes and no prefix.
 */
export type PortalTokenCreated = Event<
  'PortalTokenCreated',
  {
    tokenId: string;
    applicationId: string;
    tokenHash: string;
    tokenPrefix: string | null;
    name: string | null;
    scopes: PortalScope[];
    expiresAt: string;
    createdAt: string;
  }
>;
export type PortalTokenRevoked = Event<'PortalTokenRevoked', { tokenId: string; applicationId: string; revokedAt: string }>;
export type PortalTokenEvent = PortalTokenCreated | PortalTokenRevoked;

export type CredentialState =
  | Readonly<{ status: 'empty' }>
  | Readonly<{ status: 'active'; ownerId: string }>
  | Readonly<{ status: 'revoked'; ownerId: string }>;

const initialCredentialState = (): CredentialState => ({ status: 'empty' });

export type CreateApiKey = Command<'CreateApiKey', { keyId: string; name: string; keyHash: string }>;
export type RevokeApiKey = Command<'RevokeApiKey', { keyId: string }>;
export type ApiKeyCommand = CreateApiKey | RevokeApiKey;

export const apiKeyDecider: Decider<CredentialState, ApiKeyCommand, ApiKeyEvent> = {
  initialState: initialCredentialState,
  decide: (command, state) => {
    const now = command.metadata.now;
    switch (command.type) {
      case 'CreateApiKey':
        if (state.status !== 'empty') throw conflict('api_key_exists', `API key ${command.data.keyId} already exists.`);
        return [{ type: 'ApiKeyCreated', data: { ...command.data, createdAt: now } }];
      case 'RevokeApiKey':
        if (state.status === 'empty') throw notFound('api key', command.data.keyId);
        return state.status === 'revoked' ? [] : [{ type: 'ApiKeyRevoked', data: { keyId: command.data.keyId, revokedAt: now } }];
      default:
        return assertNever(command);
    }
  },
  evolve: (state, event) => {
    switch (event.type) {
      case 'ApiKeyCreated':
        return { status: 'active', ownerId: event.data.keyId };
      case 'ApiKeyRevoked':
        return state.status === 'empty' ? state : { status: 'revoked', ownerId: state.ownerId };
      default:
        return assertNever(event);
    }
  },
};

export type CreatePortalToken = Command<
  'CreatePortalToken',
  { tokenId: string; applicationId: string; tokenHash: string; tokenPrefix: string; expiresAt: string; name?: string | null; scopes?: readonly string[] }
>;

/** Known scopes, each once, at least one; none given means both. */
export const requireScopes = (field: string, scopes: readonly string[] | undefined): PortalScope[] => {
  if (scopes === undefined) return [...PORTAL_SCOPES];
  if (scopes.length === 0) throw validationError(field, 'min_items', `${field} must name at least one of ${PORTAL_SCOPES.join(', ')}.`);
  scopes.forEach((scope, i) => {
    if (!(PORTAL_SCOPES as readonly string[]).includes(scope)) {
      throw validationError(`${field}[${i}]`, 'enum', `${field}[${i}] must be one of ${PORTAL_SCOPES.join(', ')}, not ${JSON.stringify(scope)}.`);
    }
  });
  return PORTAL_SCOPES.filter((s) => scopes.includes(s));
};
export type RevokePortalToken = Command<'RevokePortalToken', { tokenId: string }>;
export type PortalTokenCommand = CreatePortalToken | RevokePortalToken;

export const portalTokenDecider: Decider<CredentialState, PortalTokenCommand, PortalTokenEvent> = {
  initialState: initialCredentialState,
  decide: (command, state) => {
    const now = command.metadata.now;
    switch (command.type) {
      case 'CreatePortalToken':
      {
        if (state.status !== 'empty') throw conflict('portal_token_exists', `Portal token ${command.data.tokenId} already exists.`);
        const { tokenId, applicationId, tokenHash, tokenPrefix, expiresAt } = command.data;
        const name = command.data.name == null ? null : requireText('name', command.data.name);
        const scopes = requireScopes('scopes', command.data.scopes);
        return [{ type: 'PortalTokenCreated', data: { tokenId, applicationId, tokenHash, tokenPrefix, name, scopes, expiresAt, createdAt: now } }];
      }
      case 'RevokePortalToken':
        if (state.status === 'empty') throw notFound('portal token', command.data.tokenId);
        return state.status === 'revoked'
          ? []
          : [{ type: 'PortalTokenRevoked', data: { tokenId: command.data.tokenId, applicationId: state.ownerId, revokedAt: now } }];
      default:
        return assertNever(command);
    }
  },
  evolve: (state, event) => {
    switch (event.type) {
      case 'PortalTokenCreated':
        return { status: 'active', ownerId: event.data.applicationId };
      case 'PortalTokenRevoked':
        return state.status === 'empty' ? state : { status: 'revoked', ownerId: state.ownerId };
      default:
        return assertNever(event);
    }
  },
};
