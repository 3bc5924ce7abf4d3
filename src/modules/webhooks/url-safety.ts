import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { AppError } from '../../errors.js';

/**
 * Whether a webhook may be sent to an address: only to public unicast ones. Loopback, private,
 * link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, unique-local, multicast and
 * reserved ranges are refused, IPv4 written inside IPv6 included (ipaddr.js names the ranges).
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

/** A URL's host as it is compared with `PRM_WEBHOOK_ALLOWED_HOSTS` (lower case, IPv6 without brackets). */
export const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '').toLowerCase();

/**
 * Refuses (422, naming `url`) a URL a webhook may not be sent to: not http(s), with credentials in it,
 * or a host whose addresses are not all public, unless the host is one of `allowedHosts` (a local
 * n8n). Checked when an endpoint is saved and again at every delivery: DNS answers change.
 */
export async function assertDeliverableUrl(text: string, allowedHosts: readonly string[]): Promise<URL> {
  const refuse = (why: string) => new AppError('unprocessable', `The webhook URL is refused: ${why}.`, { issues: [{ path: 'url', message: why }] });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse('it is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('only http and https are allowed');
  if (url.username || url.password) throw refuse('credentials belong in the signature, not in the URL');
  const host = hostOf(url);
  if (allowedHosts.includes(host)) return url;
  let addresses: string[];
  try {
    addresses = ipaddr.isValid(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
  } catch {
    throw refuse(`its host ${host} does not resolve`);
  }
  const blocked = addresses.find((address) => !isPublicAddress(address));
  if (blocked) throw refuse(`${host} resolves to ${blocked}, a loopback, private, link-local or reserved address (allow a local receiver with PRM_WEBHOOK_ALLOWED_HOSTS)`);
  return url;
}
