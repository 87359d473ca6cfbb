/**
 * A `fetch`-compatible function: the global `fetch`, a framework's wrapper, or a test's.
 *
 * @example
 * ```ts
 * import type { FetchLike } from '@handshake/client';
 *
 * const logged: FetchLike = async (input, init) => {
 *   const response = await fetch(input, init);
 *   console.log(response.status);
 *   return response;
 * };
 * ```
 */
export type FetchLike = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;

/** The service's base URL, with a trailing slash so relative paths extend it. */
export function normalizeBaseUrl(baseUrl: string | URL): URL {
  const url = new URL(String(baseUrl));
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError('baseUrl must be an http: or https: URL');
  }
  if (url.username || url.password) {
    // Credentials in a URL end up in logs and error messages; the session goes in a header.
    throw new TypeError('baseUrl must not contain credentials');
  }
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  return url;
}

/** `path` (no leading slash) under the base URL. */
export function endpoint(base: URL, path: string): URL {
  return new URL(path.replace(/^\/+/, ''), base);
}

/** The URL of one approval; the id is a path segment, escaped. */
export function approvalUrl(base: URL, approvalId: string): URL {
  return endpoint(base, `approvals/${encodeURIComponent(approvalId)}`);
}
