/**
 * Which addresses and host names an endpoint may not reach unless private networks are allowed (SSRF):
 * the server's own networks (loopback, private, link-local, carrier-grade NAT), cloud metadata services,
 * and addresses that are not unicast destinations at all. Pure: parsing only, no DNS.
 */
import ipaddr from 'ipaddr.js';

export type BlockedAddressClass =
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'shared'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'reserved'
  | 'invalid';

const DESCRIPTIONS: Readonly<Record<BlockedAddressClass, string>> = {
  loopback: 'a loopback address',
  private: 'a private address',
  link_local: 'a link-local address',
  shared: 'a shared (carrier-grade NAT) address',
  metadata: 'a cloud metadata address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
  invalid: 'not a valid IP address',
};

/** "a loopback address", for messages such as "example.test resolves to 127.0.0.1, a loopback address". */
export const describeAddressClass = (c: BlockedAddressClass): string => DESCRIPTIONS[c];

// Parsing and range matching by ipaddr.js (a maintained library); which ranges are blocked, and why, is our policy.
type Rule<A> = Readonly<{ range: [A, number]; class: BlockedAddressClass | 'embedded_v4' }>;

// First match wins: the metadata address sits inside link-local.
const V4_RULES: readonly Rule<ipaddr.IPv4>[] = (
  [
    ['169.254.169.254/32', 'metadata'],
    ['0.0.0.0/8', 'unspecified'],
    ['10.0.0.0/8', 'private'],
    ['100.64.0.0/10', 'shared'],
    ['127.0.0.0/8', 'loopback'],
    ['169.254.0.0/16', 'link_local'],
    ['172.16.0.0/12', 'private'],
    ['192.0.0.0/24', 'reserved'], // IETF protocol assignments
    ['192.0.2.0/24', 'reserved'], // documentation
    ['192.168.0.0/16', 'private'],
    ['198.18.0.0/15', 'reserved'], // benchmarking
    ['198.51.100.0/24', 'reserved'], // documentation
    ['203.0.113.0/24', 'reserved'], // documentation
    ['224.0.0.0/4', 'multicast'],
    ['240.0.0.0/4', 'reserved'], // includes 255.255.255.255
  ] as const
).map(([cidr, c]) => ({ range: ipaddr.IPv4.parseCIDR(cidr), class: c }));

// 'embedded_v4': the address carries an IPv4 address, which decides (see embeddedV4 for where it sits).
const V6_RULES: readonly Rule<ipaddr.IPv6>[] = (
  [
    ['::/128', 'unspecified'],
    ['::1/128', 'loopback'],
    ['::ffff:0:0/96', 'embedded_v4'], // IPv4-mapped
    ['::/96', 'reserved'], // IPv4-compatible (deprecated)
    ['64:ff9b::/96', 'embedded_v4'], // NAT64 well-known prefix
    ['64:ff9b:1::/48', 'private'], // local-use NAT64
    ['100::/64', 'reserved'], // discard-only
    ['2001::/32', 'reserved'], // Teredo: tunnels to an obfuscated IPv4 address
    ['2001:db8::/32', 'reserved'], // documentation
    ['2002::/16', 'embedded_v4'], // 6to4 carries an IPv4 address
    ['fd00:ec2::254/128', 'metadata'], // AWS IMDS over IPv6
    ['fc00::/7', 'private'], // unique local
    ['fe80::/10', 'link_local'],
    ['fec0::/10', 'private'], // site-local (deprecated)
    ['ff00::/8', 'multicast'],
  ] as const
).map(([cidr, c]) => ({ range: ipaddr.IPv6.parseCIDR(cidr), class: c }));

/** Dotted quad only (no `127.1`, octal `0177.0.0.1` or hex forms, which resolvers read differently); null otherwise. */
const parseIPv4 = (text: string): ipaddr.IPv4 | null => (ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text) : null);

/** Eight 16-bit groups; accepts `::`, an IPv4 tail and a zone id (`fe80::1%eth0`). Null when invalid. */
export const parseIPv6 = (text: string): number[] | null => {
  if (!ipaddr.IPv6.isValid(text)) return null;
  const parts = ipaddr.IPv6.parse(text).parts.slice();
  // ipaddr.js reads `::a.b.c.d` (IPv4-compatible) as `::ffff:a.b.c.d` (IPv4-mapped); they are different addresses.
  if (/^::(\d{1,3}\.){3}\d{1,3}$/.test(text.replace(/%.*$/, ''))) parts[5] = 0;
  return parts;
};

const classifyV4 = (ip: ipaddr.IPv4): BlockedAddressClass | null => {
  const rule = V4_RULES.find((r) => ip.match(r.range));
  return rule && rule.class !== 'embedded_v4' ? rule.class : null;
};

/** The IPv4 address inside a mapped or NAT64 address (last 32 bits) or a 6to4 one (bits 16-48). */
const embeddedV4 = (g: readonly number[]): ipaddr.IPv4 => {
  const [hi, lo] = g[0] === 0x2002 ? [g[1]!, g[2]!] : [g[6]!, g[7]!];
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
};

const classifyV6 = (g: number[]): BlockedAddressClass | null => {
  const ip = new ipaddr.IPv6(g);
  const rule = V6_RULES.find((r) => ip.match(r.range));
  if (!rule) return null;
  return rule.class === 'embedded_v4' ? classifyV4(embeddedV4(g)) : rule.class;
};

/** Null for an ordinary public address; otherwise why it is blocked. Not an IP at all counts as blocked. */
export const classifyAddress = (ip: string): BlockedAddressClass | null => {
  const text = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const four = parseIPv4(text);
  if (four !== null) return classifyV4(four);
  const six = parseIPv6(text);
  if (six !== null) return classifyV6(six);
  return 'invalid';
};

export const isBlockedAddress = (ip: string): boolean => classifyAddress(ip) !== null;

const BLOCKED_NAMES = new Set(['localhost', 'metadata', 'metadata.google.internal', 'instance-data', 'instance-data.ec2.internal']);

/** Names that mean "this machine" or a metadata service whatever DNS says. Case and a trailing dot do not matter. */
export const isBlockedHostname = (host: string): boolean => {
  const name = host.toLowerCase().replace(/\.$/, '');
  return BLOCKED_NAMES.has(name) || name.endsWith('.localhost');
};
