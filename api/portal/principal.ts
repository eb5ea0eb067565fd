import type { Principal } from '../auth';
import { HttpError } from '../errors';

/** The application a portal token reaches: its own, and nothing else. */
export const tokenApplication = (principal: Principal): string => {
  if (principal.kind !== 'portal') throw new HttpError(401, 'unauthorized', 'Send the portal token as "Authorization: Bearer <portal token>".');
  return principal.applicationId;
};

/** Every portal route but a GET changes something: a token without the write scope may not. */
export const assertMayWrite = (principal: Principal, method: string): void => {
  if (principal.kind !== 'portal' || method === 'GET' || method === 'HEAD' || principal.scopes.includes('write')) return;
  throw new HttpError(403, 'insufficient_scope', 'This portal token is read-only: it may look, not change anything.');
};
