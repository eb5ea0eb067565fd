/**
 * Which addresses and host names an endpoint may not reach unless private networks are allowed (SSRF):
 * the server's own networks (loopback, private, link-local, carrier-grade NAT), cloud metadata services,
 * and addresses that are not unicast destinations at all. Pure: parsing only, no DNS.
 */

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

type V4Rule = Readonly<{ base: number; bits: number; class: BlockedAddressClass }>;

const v4 = (a: number, b: number, c: number, d: number): number => ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;

// First match wins: the metadata address sits inside link-local.
const V4_RULES: readonly V4Rule[] = [
  { base: v4(169, 254, 169, 254), bits: 32, class: 'metadata' },
  { base: v4(0, 0, 0, 0), bits: 8, class: 'unspecified' },
  { base: v4(10, 0, 0, 0), bits: 8, class: 'private' },
  { base: v4(100, 64, 0, 0), bits: 10, class: 'shared' },
  { base: v4(127, 0, 0, 0), bits: 8, class: 'loopback' },
  { base: v4(169, 254, 0, 0), bits: 16, class: 'link_local' },
  { base: v4(172, 16, 0, 0), bits: 12, class: 'private' },
  { base: v4(192, 0, 0, 0), bits: 24, class: 'reserved' }, // IETF protocol assignments
  { base: v4(192, 0, 2, 0), bits: 24, class: 'reserved' }, // documentation
  { base: v4(192, 168, 0, 0), bits: 16, class: 'private' },
  { base: v4(198, 18, 0, 0), bits: 15, class: 'reserved' }, // benchmarking
  { base: v4(198, 51, 100, 0), bits: 24, class: 'reserved' }, // documentation
  { base: v4(203, 0, 113, 0), bits: 24, class: 'reserved' }, // documentation
  { base: v4(224, 0, 0, 0), bits: 4, class: 'multicast' },
  { base: v4(240, 0, 0, 0), bits: 4, class: 'reserved' }, // includes 255.255.255.255
];

const inV4 = (ip: number, rule: V4Rule): boolean => rule.bits === 0 || ip >>> (32 - rule.bits) === rule.base >>> (32 - rule.bits);

/** Dotted quad → 32-bit number; null when not exactly four decimal octets. */
export const parseIPv4 = (text: string): number | null => {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith('0'))) return null;
    const octet = Number(p);
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  return n;
};

/** Eight 16-bit groups; accepts `::`, an IPv4 tail and a zone id (`fe80::1%eth0`). Null when invalid. */
export const parseIPv6 = (text: string): number[] | null => {
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.length === 0 || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    const four = parseIPv4(s.slice(lastColon + 1));
    if (four === null || lastColon < 0) return null;
    tail.push(four >>> 16, four & 0xffff);
    // Keep a `::` that ends right before the IPv4 part; drop a single separating colon.
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0] ?? '');
  const rest = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (head === null || rest === null) return null;
  const explicit = head.length + rest.length + tail.length;
  if (halves.length === 2) {
    if (explicit > 7) return null;
    return [...head, ...new Array<number>(8 - explicit).fill(0), ...rest, ...tail];
  }
  return explicit === 8 ? [...head, ...tail] : null;
};

const classifyV4 = (ip: number): BlockedAddressClass | null => V4_RULES.find((r) => inV4(ip, r))?.class ?? null;

const embeddedV4 = (g: readonly number[], at: number): number => (g[at]! << 16 >>> 0) + g[at + 1]!;

const startsWith = (g: readonly number[], prefix: readonly number[]): boolean => prefix.every((p, i) => g[i] === p);

const classifyV6 = (g: readonly number[]): BlockedAddressClass | null => {
  const [g0 = 0, g1 = 0] = g;
  if (g.every((x) => x === 0)) return 'unspecified';
  if (startsWith(g, [0, 0, 0, 0, 0, 0, 0, 1])) return 'loopback';
  if (startsWith(g, [0, 0, 0, 0, 0, 0xffff])) return classifyV4(embeddedV4(g, 6)); // IPv4-mapped
  if (startsWith(g, [0, 0, 0, 0, 0, 0])) return 'reserved'; // IPv4-compatible (deprecated)
  if (startsWith(g, [0x64, 0xff9b, 0, 0, 0, 0])) return classifyV4(embeddedV4(g, 6)); // NAT64 well-known prefix
  if (startsWith(g, [0x64, 0xff9b, 1])) return 'private'; // local-use NAT64
  if (startsWith(g, [0x100, 0, 0, 0])) return 'reserved'; // discard-only
  if (g0 === 0x2001 && g1 === 0) return 'reserved'; // Teredo: tunnels to an obfuscated IPv4 address
  if (g0 === 0x2001 && g1 === 0xdb8) return 'reserved'; // documentation
  if (g0 === 0x2002) return classifyV4(embeddedV4(g, 1)); // 6to4 carries an IPv4 address
  if (startsWith(g, [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254])) return 'metadata'; // AWS IMDS over IPv6
  if ((g0 & 0xfe00) === 0xfc00) return 'private'; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return 'link_local';
  if ((g0 & 0xffc0) === 0xfec0) return 'private'; // site-local (deprecated)
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  return null;
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
