import { isIPv6 } from 'node:net';
import type { HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/**
 * Who is calling, by network address: the socket's peer; behind `trustedProxyHops` proxies that each
 * append the address they were called from to X-Forwarded-For, the address that many hops back (the
 * farthest one listed when the header is shorter; the peer when it is missing). Without trusted proxies
 * the header is ignored: anyone can write it. Undefined for a request that came with no socket (the app
 * called in-process with `app.request`, as tests and the bench do).
 */
export function clientAddress(c: Context, trustedProxyHops: number): string | undefined {
  const bindings: Partial<HttpBindings> | undefined = c.env;
  if (!bindings?.incoming) return undefined;
  const peer = getConnInfo(c).remote.address;
  if (trustedProxyHops === 0) return peer;
  const forwarded = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (forwarded.length === 0) return peer;
  return forwarded[Math.max(0, forwarded.length - trustedProxyHops)];
}

/**
 * The unit an address is limited by: an IPv4 address, or an IPv6 /64 (one subscriber's network: an
 * attacker there has 2^64 addresses to rotate through). IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is IPv4.
 */
export function addressBucket(address: string): string {
  const bare = address.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped) return mapped[1];
  if (!isIPv6(bare)) return bare;
  const [head, tail] = bare.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}
