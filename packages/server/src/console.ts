import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { HandshakeRoute } from '@handshake/core';
import { HandshakeError } from '@handshake/protocol';

/**
 * The policy every console response carries: scripts, styles and connections from this
 * origin only, so no inline script or style runs even if a value slipped into the page;
 * no forms submitted anywhere, no framing, no `<base>`.
 *
 * @example
 * ```ts
 * import { CONSOLE_CSP } from '@handshake/server';
 *
 * const headers = { 'content-security-policy': CONSOLE_CSP };
 * ```
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

/** The files of the console, by the name they are served under, with their types. */
const ASSETS: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'format.js': 'text/javascript; charset=utf-8',
  'overview.css': 'text/css; charset=utf-8',
  'overview.js': 'text/javascript; charset=utf-8',
  'sse.js': 'text/javascript; charset=utf-8',
  'words.js': 'text/javascript; charset=utf-8',
};

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
}

/**
 * Options of {@link consoleRoutes}.
 *
 * @example
 * ```ts
 * import { type ConsoleOptions, consoleRoutes } from '@handshake/server';
 *
 * const options: ConsoleOptions = { directory: new URL('./my-console/', import.meta.url) };
 * const routes = consoleRoutes(options);
 * ```
 */
export interface ConsoleOptions {
  /** Where the console's files are (default: the `console/` folder beside `src/`). */
  directory?: URL;
}

/**
 * The routes that serve the approval console at `/console/` (and redirect `/console`
 * there): a static page whose script reads the approvers' event stream and posts
 * decisions with the approver credential. The files are read once, here; only the
 * files listed in the console are served, each with its content type, `Cache-Control:
 * no-cache` and an `ETag` (so a browser revalidates instead of running a stale script),
 * and a strict Content-Security-Policy ({@link CONSOLE_CSP}).
 *
 * @example
 * ```ts
 * import { createHandshakeHandler, type HandshakeEngine } from '@handshake/core';
 * import { consoleRoutes } from '@handshake/server';
 * declare const engine: HandshakeEngine;
 *
 * const handler = createHandshakeHandler(engine, { routes: consoleRoutes() });
 * ```
 */
export function consoleRoutes(options: ConsoleOptions = {}): HandshakeRoute[] {
  const directory = options.directory ?? new URL('../console/', import.meta.url);
  const assets = new Map<string, Asset>();
  for (const [name, type] of Object.entries(ASSETS)) {
    const body = new Uint8Array(readFileSync(new URL(name, directory)));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, type, etag });
  }
  const serve = (request: Request, name: string): Response => {
    const asset = assets.get(name);
    if (!asset) throw new HandshakeError('NOT_FOUND', 'No such file in the console');
    const headers = {
      ...SECURITY_HEADERS,
      'content-type': asset.type,
      'cache-control': 'no-cache',
      etag: asset.etag,
    };
    const match = request.headers.get('if-none-match');
    if (match?.split(',').some((tag) => tag.trim() === asset.etag)) {
      return new Response(null, { status: 304, headers });
    }
    return new Response(asset.body, { status: 200, headers });
  };
  return [
    {
      method: 'GET',
      path: '/console',
      handle({ request, url }) {
        // Relative asset and API addresses resolve against `/console/`, so the page is
        // only served there; `/console` redirects.
        if (!url.pathname.endsWith('/')) {
          return new Response(null, {
            status: 308,
            headers: {
              ...SECURITY_HEADERS,
              location: `${url.pathname}/${url.search}`,
              'cache-control': 'no-cache',
            },
          });
        }
        return serve(request, 'index.html');
      },
    },
    {
      method: 'GET',
      path: '/console/:file',
      handle({ request, params }) {
        const name = params.file ?? '';
        if (name === 'index.html')
          throw new HandshakeError('NOT_FOUND', 'No such file in the console');
        return serve(request, name);
      },
    },
  ];
}
