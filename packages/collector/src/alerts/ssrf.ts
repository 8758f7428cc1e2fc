/**
 * Checks webhook targets against server-side request forgery: a notification URL is
 * user input, and without checks it can make the collector call its cloud's metadata
 * service or an internal admin port.
 *
 * - `https:` only, unless `allowHttp`.
 * - The host is resolved once and EVERY address is checked; the request then connects to
 *   a checked address (see {@link pinnedLookup}), so DNS cannot answer differently between
 *   the check and the connection (rebinding).
 * - Refused unless allowed: loopback, private (RFC 1918, CGNAT, fc00::/7), link-local,
 *   cloud metadata (169.254.169.254, fd00:ec2::254, 100.100.100.200), unspecified,
 *   multicast, reserved and documentation ranges, in every spelling (WHATWG URL parsing
 *   normalises `2130706433` and `0x7f.1`; IPv4-mapped, -compatible, NAT64 and 6to4 IPv6
 *   forms are judged by the IPv4 address they carry).
 * - Allowed explicitly by host name (any address it resolves to but metadata) or by
 *   address/CIDR (also metadata, if you really mean it).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';

/** Why an address is not public. */
export type AddressKind =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'metadata'
  | 'multicast'
  | 'reserved';

/** Options of {@link createTargetPolicy}. */
export interface TargetPolicyOptions {
  /** Accept `http:` URLs. Default false. */
  allowHttp?: boolean;
  /** Host names, addresses and CIDRs that may be reached although not public. */
  allow?: readonly string[];
}

/** A parsed target policy. */
export interface TargetPolicy {
  readonly allowHttp: boolean;
  readonly hosts: ReadonlySet<string>;
  readonly cidrs: readonly Cidr[];
}

/** A resolved, checked target: connect only to `addresses`. */
export interface CheckedTarget {
  url: URL;
  /** Host name without IPv6 brackets (used for TLS SNI and certificate checks). */
  hostname: string;
  addresses: LookupAddress[];
}

/** Why a target was refused. */
export interface TargetRefusal {
  code: 'invalid_url' | 'scheme' | 'dns' | 'address';
  message: string;
}

export type TargetCheck =
  | { ok: true; target: CheckedTarget }
  | { ok: false; refusal: TargetRefusal };

/** Resolves a host name to all its addresses (injectable for tests). */
export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;

interface Cidr {
  bytes: Uint8Array;
  prefix: number;
}

interface Range {
  cidr: Cidr;
  kind: AddressKind;
}

/**
 * Parses an IPv4 or IPv6 literal (a `%zone` suffix is ignored) into 4 or 16 bytes, or
 * null when it is not one.
 */
export function parseIp(input: string): Uint8Array | null {
  const address = input.replace(/%.*$/, '');
  const family = isIP(address);
  if (family === 4) return Uint8Array.from(address.split('.').map(Number));
  if (family !== 6) return null;
  const bytes = new Uint8Array(16);
  const [head = '', tail] = address.split('::');
  const words = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const group of part.split(':')) {
      if (group.includes('.')) {
        const v4 = group.split('.').map(Number);
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else {
        out.push(Number.parseInt(group, 16));
      }
    }
    return out;
  };
  const left = words(head);
  const right = tail === undefined ? [] : words(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  all.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  return bytes;
}

function cidr(text: string): Cidr {
  const [address = '', prefix] = text.split('/');
  const bytes = parseIp(address);
  if (bytes === null) throw new RangeError(`not an address or CIDR: "${text}"`);
  const bits = bytes.length * 8;
  const p = prefix === undefined ? bits : Number(prefix);
  if (
    !Number.isInteger(p) ||
    p < 0 ||
    p > bits ||
    (prefix !== undefined && !/^\d+$/.test(prefix))
  ) {
    throw new RangeError(`invalid prefix length in "${text}"`);
  }
  return { bytes, prefix: p };
}

function contains(range: Cidr, bytes: Uint8Array): boolean {
  if (range.bytes.length !== bytes.length) return false;
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((range.bytes[i] ?? 0) & mask) !== ((bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

// Most specific first: the first match names the kind.
const V4_RANGES: readonly Range[] = (
  [
    ['169.254.169.254/32', 'metadata'], // AWS, GCP, Azure, OpenStack...
    ['100.100.100.200/32', 'metadata'], // Alibaba Cloud
    ['0.0.0.0/8', 'unspecified'],
    ['10.0.0.0/8', 'private'],
    ['100.64.0.0/10', 'private'], // carrier-grade NAT, RFC 6598
    ['127.0.0.0/8', 'loopback'],
    ['169.254.0.0/16', 'link_local'],
    ['172.16.0.0/12', 'private'],
    ['192.0.0.0/24', 'reserved'], // IETF protocol assignments
    ['192.0.2.0/24', 'reserved'], // documentation
    ['192.88.99.0/24', 'reserved'], // 6to4 relay anycast
    ['192.168.0.0/16', 'private'],
    ['198.18.0.0/15', 'reserved'], // benchmarking
    ['198.51.100.0/24', 'reserved'], // documentation
    ['203.0.113.0/24', 'reserved'], // documentation
    ['224.0.0.0/4', 'multicast'],
    ['240.0.0.0/4', 'reserved'], // includes 255.255.255.255
  ] as const
).map(([c, kind]) => ({ cidr: cidr(c), kind }));

const V6_RANGES: readonly Range[] = (
  [
    ['::/128', 'unspecified'],
    ['::1/128', 'loopback'],
    ['fd00:ec2::254/128', 'metadata'], // AWS IMDS over IPv6
    ['100::/64', 'reserved'], // discard
    ['2001:db8::/32', 'reserved'], // documentation
    ['fc00::/7', 'private'], // unique local
    ['fe80::/10', 'link_local'],
    ['fec0::/10', 'private'], // deprecated site-local
    ['ff00::/8', 'multicast'],
  ] as const
).map(([c, kind]) => ({ cidr: cidr(c), kind }));

/** IPv6 prefixes that carry an IPv4 address, and where it sits. */
const V4_CARRIERS: readonly { cidr: Cidr; offset: number }[] = [
  { cidr: cidr('::ffff:0:0/96'), offset: 12 }, // IPv4-mapped
  { cidr: cidr('::ffff:0:0:0/96'), offset: 12 }, // IPv4-translated (SIIT)
  { cidr: cidr('64:ff9b::/96'), offset: 12 }, // NAT64
  { cidr: cidr('64:ff9b:1::/48'), offset: 12 }, // local-use NAT64
  { cidr: cidr('2002::/16'), offset: 2 }, // 6to4
  { cidr: cidr('::/96'), offset: 12 }, // IPv4-compatible (deprecated)
];

/** The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4...), if any. */
function embeddedV4(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length !== 16) return null;
  for (const carrier of V4_CARRIERS) {
    if (contains(carrier.cidr, bytes)) return bytes.slice(carrier.offset, carrier.offset + 4);
  }
  return null;
}

function kindOfBytes(bytes: Uint8Array): AddressKind | null {
  if (bytes.length === 4) return V4_RANGES.find((r) => contains(r.cidr, bytes))?.kind ?? null;
  for (const r of V6_RANGES) if (contains(r.cidr, bytes)) return r.kind;
  const v4 = embeddedV4(bytes);
  return v4 === null ? null : kindOfBytes(v4);
}

/**
 * What kind of non-public address `address` is, or null when it is public.
 *
 * @throws {RangeError} when `address` is not an IP literal.
 *
 * @example
 * ```ts
 * classifyAddress('169.254.169.254'); // 'metadata'
 * classifyAddress('::ffff:127.0.0.1'); // 'loopback'
 * classifyAddress('93.184.216.34');   // null
 * ```
 */
export function classifyAddress(address: string): AddressKind | null {
  const bytes = parseIp(address);
  if (bytes === null) throw new RangeError(`not an IP address: "${address}"`);
  return kindOfBytes(bytes);
}

const HOST_NAME =
  /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/**
 * Why an allow-list entry is invalid (a host name, an IP address or a CIDR is expected),
 * or null when it is valid.
 */
export function allowEntryProblem(entry: string): string | null {
  const e = entry.trim().replace(/^\[|\]$/g, '');
  if (e.includes('/') || isIP(e) !== 0) {
    try {
      cidr(e);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }
  return HOST_NAME.test(e) ? null : `"${entry}" is not a host name, an IP address or a CIDR`;
}

/**
 * Builds a policy from config. Entries of `allow` containing `/` or parsing as an address
 * are CIDRs; others are host names.
 *
 * @throws {RangeError} on a malformed CIDR.
 */
export function createTargetPolicy(options: TargetPolicyOptions = {}): TargetPolicy {
  const hosts = new Set<string>();
  const cidrs: Cidr[] = [];
  for (const entry of options.allow ?? []) {
    const e = entry.trim().replace(/^\[|\]$/g, '');
    if (e.includes('/') || isIP(e) !== 0) cidrs.push(cidr(e));
    else hosts.add(e.toLowerCase().replace(/\.$/, ''));
  }
  return { allowHttp: options.allowHttp ?? false, hosts, cidrs };
}

function allowedByCidr(policy: TargetPolicy, bytes: Uint8Array): boolean {
  const v4 = embeddedV4(bytes);
  return policy.cidrs.some((c) => contains(c, bytes) || (v4 !== null && contains(c, v4)));
}

/** Resolves with the OS resolver (`getaddrinfo`, as connections do), every address. */
export const systemResolveAll: ResolveAll = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses),
    );
  });

/**
 * Checks a URL against `policy`: scheme, then every address its host resolves to.
 * Never throws; a refusal says which rule refused it.
 *
 * @example
 * ```ts
 * const policy = createTargetPolicy({ allowHttp: true, allow: ['127.0.0.1'] });
 * const check = await checkTarget('http://127.0.0.1:8080/hook', policy);
 * if (!check.ok) console.error(check.refusal.message);
 * ```
 */
export async function checkTarget(
  rawUrl: string,
  policy: TargetPolicy,
  resolveAll: ResolveAll = systemResolveAll,
): Promise<TargetCheck> {
  const refuse = (code: TargetRefusal['code'], message: string): TargetCheck => ({
    ok: false,
    refusal: { code, message },
  });
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return refuse('invalid_url', `not a URL: ${JSON.stringify(rawUrl)}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    return refuse(
      'scheme',
      url.protocol === 'http:'
        ? 'http: targets are refused (https only; set allowHttp to permit http)'
        : `scheme ${url.protocol} is not allowed`,
    );
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const hostAllowed = policy.hosts.has(hostname.toLowerCase().replace(/\.$/, ''));
  let addresses: LookupAddress[];
  const family = isIP(hostname);
  if (family !== 0) {
    addresses = [{ address: hostname, family }];
  } else {
    try {
      addresses = await resolveAll(hostname);
    } catch (cause) {
      return refuse('dns', `cannot resolve ${hostname}: ${String(cause)}`);
    }
    if (addresses.length === 0) return refuse('dns', `${hostname} has no address`);
  }
  for (const { address } of addresses) {
    const bytes = parseIp(address);
    if (bytes === null) return refuse('dns', `${hostname} resolved to a non-address "${address}"`);
    const kind = kindOfBytes(bytes);
    if (kind === null) continue;
    if (allowedByCidr(policy, bytes)) continue;
    if (hostAllowed && kind !== 'metadata') continue;
    const via = address === hostname ? '' : ` (${hostname} resolves to it)`;
    return refuse(
      'address',
      `${address} is a ${kind.replace('_', '-')} address${via}; add it to the network allow list to permit it`,
    );
  }
  return { ok: true, target: { url, hostname, addresses } };
}

/**
 * A `lookup` for `http.request` that answers with the already-checked addresses, so the
 * connection goes to an address that passed {@link checkTarget} and no second DNS query
 * is made.
 */
export function pinnedLookup(addresses: readonly LookupAddress[]): LookupFunction {
  return ((
    _hostname: string,
    options: { all?: boolean; family?: number | string },
    callback: (
      err: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void,
  ) => {
    const wanted =
      options.family === 4 || options.family === 'IPv4'
        ? 4
        : options.family === 6 || options.family === 'IPv6'
          ? 6
          : 0;
    const usable = addresses.filter((a) => wanted === 0 || a.family === wanted);
    const first = usable[0];
    if (first === undefined) {
      const err: NodeJS.ErrnoException = new Error('no checked address of the requested family');
      err.code = 'ENOTFOUND';
      callback(err, '', 0);
      return;
    }
    if (options.all) callback(null, usable);
    else callback(null, first.address, first.family);
  }) as LookupFunction;
}
