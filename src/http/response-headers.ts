import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/**
 * The headers every answer carries, errors included (this runs outside the error handler's answer):
 * `X-Content-Type-Options: nosniff`; no framing anywhere (`X-Frame-Options: DENY`, CSP
 * `frame-ancestors 'none'`), which covers /docs and /redoc; and `Cache-Control: no-store` unless a
 * route says otherwise (only the static docs assets do): answers carry patient data, and no browser or
 * shared cache may keep them. No HSTS: HTTPS ends at the proxy in front of the service, and the policy
 * for the whole host (and its subdomains) belongs there.
 */
export function responseHeaders(): MiddlewareHandler {
  const secure = secureHeaders({
    strictTransportSecurity: false,
    xFrameOptions: 'DENY',
    contentSecurityPolicy: { frameAncestors: ["'none'"] },
  });
  return (c, next) =>
    secure(c, async () => {
      await next();
      // On the answer's own headers: `c.header()` after the answer exists copies it into a new
      // Response, which made the Node adapter build a web stream for every body.
      if (!c.res.headers.has('cache-control')) c.res.headers.set('Cache-Control', 'no-store');
    });
}
