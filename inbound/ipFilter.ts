import ipaddr from 'ipaddr.js';
import type { IpFilterMode } from '../domain/source/source';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

const parseRange = (entry: string): Range => {
  if (entry.includes('/')) return ipaddr.parseCIDR(entry);
  const address = ipaddr.parse(entry);
  return [address, address.kind() === 'ipv4' ? 32 : 128];
};

/** An IPv4 address arriving as IPv6 (`::ffff:203.0.113.9`, as Node reports it on a dual-stack socket) is read as IPv4. */
const normalise = (address: string): ipaddr.IPv4 | ipaddr.IPv6 | null => {
  try {
    const parsed = ipaddr.parse(address);
    return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed;
  } catch {
    return null;
  }
};

const inList = (address: ipaddr.IPv4 | ipaddr.IPv6, entries: readonly string[]): boolean =>
  entries.some((entry) => {
    const [range, bits] = parseRange(entry);
    return range.kind() === address.kind() && address.match(range, bits);
  });

/**
 * Whether a source lets a request from `address` in. Lists hold addresses and CIDR ranges as the source decider
 * normalised them. An allowlist refuses an address that cannot be read; a denylist lets it through only if it is
 * not listed (it cannot be).
 */
export const ipAllowed = (mode: IpFilterMode, allowlist: readonly string[], denylist: readonly string[], address: string | null): boolean => {
  if (mode === 'none') return true;
  const parsed = address === null ? null : normalise(address);
  if (mode === 'allowlist') return parsed !== null && inList(parsed, allowlist);
  return parsed === null || !inList(parsed, denylist);
};
