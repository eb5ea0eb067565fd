import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { validationError } from '../domain/errors';
import { isBlockedAddress, isBlockedHostname } from '../domain/network';

const HOW_TO_ALLOW = 'For local development, start Hookbase with HOOKBASE_ALLOW_PRIVATE_NETWORKS=true.';

const resolveAll = async (hostname: string): Promise<string[]> => (await lookup(hostname, { all: true })).map((a) => a.address);

/**
 * Refuses endpoint URLs that point into the server's own networks (loopback, private, link-local, metadata).
 * The dispatcher checks the resolved address again at delivery time (DNS rebinding).
 */
export const assertPublicUrl = async (
  field: string,
  url: string,
  resolve: (hostname: string) => Promise<string[]> = resolveAll,
): Promise<void> => {
  const parsed = new URL(url);
  // Other schemes never reach the network from here: the endpoint rules refuse them by name (rule "scheme").
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const refuse = (why: string) => validationError(field, 'private_network', `${field} ${why}, which is not allowed. ${HOW_TO_ALLOW}`);
  if (isBlockedHostname(host)) throw refuse(`points at ${host}`);
  if (isIP(host)) {
    if (isBlockedAddress(host)) throw refuse(`points at ${host}, a private or reserved address`);
    return;
  }
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    // A name that does not resolve now may later; the dispatcher checks again when it connects.
    return;
  }
  const blocked = addresses.find(isBlockedAddress);
  if (blocked) throw refuse(`resolves to ${blocked}, a private or reserved address`);
};
