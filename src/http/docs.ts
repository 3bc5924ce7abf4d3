import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Hono } from 'hono';
import type { AppEnv } from './env.js';

const resolveModule = createRequire(import.meta.url).resolve;
const JS = 'text/javascript; charset=utf-8';

/**
 * The docs pages' assets, all served by the service from the installed packages (no CDN: the docs
 * work on an air-gapped site). Fixed names, so no request path ever reaches the file system.
 */
const ASSETS: Record<string, { contentType: string; file?: string; text?: string }> = {
  '/docs/swagger-ui.css': { contentType: 'text/css; charset=utf-8', file: 'swagger-ui-dist/swagger-ui.css' },
  '/docs/swagger-ui-bundle.js': { contentType: JS, file: 'swagger-ui-dist/swagger-ui-bundle.js' },
  '/docs/favicon-32x32.png': { contentType: 'image/png', file: 'swagger-ui-dist/favicon-32x32.png' },
  // validatorUrl: null, or Swagger UI sends the document to validator.swagger.io for a badge.
  '/docs/swagger-init.js': {
    contentType: JS,
    text: "window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null, presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout' });\n",
  },
  '/redoc/redoc.standalone.js': { contentType: JS, file: 'redoc/bundles/redoc.standalone.js' },
  '/redoc/redoc-init.js': { contentType: JS, text: "Redoc.init('/openapi.json', {}, document.getElementById('redoc'));\n" },
};

const page = (options: { title: string; head: string; body: string }) =>
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title}</title>
${options.head}
</head>
<body>
${options.body}
</body>
</html>
`;

const SWAGGER_PAGE = page({
  title: 'PRM Agent API',
  head: '<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">\n<link rel="stylesheet" href="/docs/swagger-ui.css">',
  body: '<div id="swagger-ui"></div>\n<script src="/docs/swagger-ui-bundle.js"></script>\n<script src="/docs/swagger-init.js"></script>',
});

const REDOC_PAGE = page({
  title: 'PRM Agent API (ReDoc)',
  head: '<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">\n<style>body { margin: 0; }</style>',
  body: '<div id="redoc"></div>\n<script src="/redoc/redoc.standalone.js"></script>\n<script src="/redoc/redoc-init.js"></script>',
});

/** The assets change only with the installed packages (or this file), at a deploy. */
const ASSET_CACHE = 'public, max-age=3600';

/** `/docs` (Swagger UI) and `/redoc` (ReDoc), both reading `/openapi.json`, with their assets. */
export function mountDocs(app: Hono<AppEnv>): void {
  const loaded = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  const load = (path: string, asset: (typeof ASSETS)[string]) => {
    let bytes = loaded.get(path);
    if (!bytes) {
      bytes = asset.file ? readFile(resolveModule(asset.file)).then((buffer) => Uint8Array.from(buffer)) : Promise.resolve(new TextEncoder().encode(asset.text ?? ''));
      loaded.set(path, bytes);
    }
    return bytes;
  };
  app.get('/docs', (c) => c.html(SWAGGER_PAGE));
  app.get('/redoc', (c) => c.html(REDOC_PAGE));
  for (const [path, asset] of Object.entries(ASSETS)) {
    app.get(path, async (c) => c.body(await load(path, asset), 200, { 'Content-Type': asset.contentType, 'Cache-Control': ASSET_CACHE }));
  }
}
