import type { Context, MiddlewareHandler } from 'hono';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitSettings } from '../config.js';
import type { Services } from '../context.js';
import { rateLimited, type AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { addressBucket, clientAddress } from './client-address.js';

/** Keys and addresses without a key are counted per 10 s; failed attempts per minute. */
export const REQUEST_WINDOW_SECONDS = 10;
export const FAILURE_WINDOW_SECONDS = 60;

/**
 * Request limits, counted in this process's memory (rate-limiter-flexible, fixed windows). Each
 * serving process counts on its own: with N processes a client whose connections reach all of them
 * gets up to N times a limit (README, "Limits at the door"). An undefined address (a call in-process,
 * without a socket) is not counted by the address limits.
 */
export type RateLimits = {
  /** Counts a request of a valid API key, and a write when it is one; past a limit, throws 429. */
  countKeyRequest(keyId: string, options: { write: boolean }): Promise<void>;
  /** Counts a request to a route that needs no key; past the address's limit, throws 429. */
  countRequestWithoutKey(address: string | undefined): Promise<void>;
  /** Throws 429 while the address is over its limit of failed attempts: nothing else is tried for it. */
  refuseFailingAddress(address: string | undefined): Promise<void>;
  /** Counts a failed attempt (a bad or missing key, an unverifiable webhook): 429 past the limit, else `error` itself. */
  failedAttempt(address: string | undefined, error: AppError): Promise<AppError>;
};

const retryAfter = (result: RateLimiterRes) => Math.max(1, Math.ceil(result.msBeforeNext / 1000));

/** Takes a point; past the limit, the library rejects with its result, which becomes our 429. */
async function take(limiter: RateLimiterMemory, key: string, refusal: string): Promise<void> {
  await limiter.consume(key).catch((rejection: unknown) => {
    throw rejection instanceof RateLimiterRes ? rateLimited(refusal, retryAfter(rejection)) : rejection;
  });
}

export function createRateLimits(settings: RateLimitSettings, log: Logger): RateLimits {
  const perWindow = (points: number, keyPrefix: string) => new RateLimiterMemory({ points, duration: REQUEST_WINDOW_SECONDS, keyPrefix });
  const keyRequests = perWindow(settings.keyRequests, 'key');
  const keyWrites = perWindow(settings.keyWrites, 'key-writes');
  const addressRequests = perWindow(settings.addressRequests, 'address');
  const failures = new RateLimiterMemory({ points: settings.addressFailures, duration: FAILURE_WINDOW_SECONDS, keyPrefix: 'failures' });
  const tooManyFailures = (retryAfterSeconds: number) => rateLimited('Too many failed attempts from this address.', retryAfterSeconds);

  return {
    async countKeyRequest(keyId, { write }) {
      await take(keyRequests, keyId, `This API key is over its limit of ${settings.keyRequests} requests per ${REQUEST_WINDOW_SECONDS} s.`);
      if (write) await take(keyWrites, keyId, `This API key is over its limit of ${settings.keyWrites} writes per ${REQUEST_WINDOW_SECONDS} s.`);
    },
    async countRequestWithoutKey(address) {
      if (address === undefined) return;
      await take(addressRequests, addressBucket(address), `This address is over its limit of ${settings.addressRequests} requests without a key per ${REQUEST_WINDOW_SECONDS} s.`);
    },
    async refuseFailingAddress(address) {
      if (address === undefined) return;
      const counted = await failures.get(addressBucket(address));
      if (counted && counted.consumedPoints >= settings.addressFailures) throw tooManyFailures(retryAfter(counted));
    },
    async failedAttempt(address, error) {
      if (address === undefined) return error;
      const bucket = addressBucket(address);
      const counted = await failures.penalty(bucket);
      if (counted.consumedPoints === settings.addressFailures) {
        log.warn({ address: bucket, failures: counted.consumedPoints, seconds: retryAfter(counted) }, 'an address reached its limit of failed attempts (bad keys, unverifiable webhooks)');
      }
      return counted.consumedPoints > settings.addressFailures ? tooManyFailures(retryAfter(counted)) : error;
    },
  };
}

/** `throw await countedFailure(...)`: the failure, counted against the request's client address. */
export function countedFailure(c: Context, services: Services, error: AppError): Promise<AppError> {
  return services.rateLimits.failedAttempt(clientAddress(c, services.config.trustedProxyHops), error);
}

/**
 * Counts requests to routes that need no key (health, docs, the OpenAPI document, unknown routes)
 * against the client's address; the routes under `keyed` count against their key or, failing, as
 * failed attempts.
 */
export function limitRequestsWithoutKey(services: Services, keyed: readonly string[]): MiddlewareHandler {
  const isKeyed = (path: string) => keyed.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  return async (c, next) => {
    if (!isKeyed(c.req.path)) await services.rateLimits.countRequestWithoutKey(clientAddress(c, services.config.trustedProxyHops));
    await next();
  };
}
