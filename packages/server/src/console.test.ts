import { readFileSync } from 'node:fs';
import { createHandshakeHandler } from '@handshake/core';
import { serve } from '@handshake/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { CONSOLE_CSP, consoleRoutes } from './console.js';
import { createService, type Service } from './service.js';

let service: Service;
let running: Awaited<ReturnType<typeof serve>>;

beforeAll(async () => {
  service = await createService(
    loadConfig({ HANDSHAKE_APPROVER_TOKEN: 'approver-token-for-console-tests' }),
  );
  running = await serve(service.handler, { port: 0 });
});
afterAll(async () => {
  await running.close();
  await service.close();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${running.url}${path}`, { headers, redirect: 'manual' });

const source = (name: string) =>
  readFileSync(new URL(`../console/${name}`, import.meta.url), 'utf8');

describe('the console’s files', () => {
  it('redirects /console to /console/, keeping the query', async () => {
    const response = await get('/console?x=1');
    expect(response.status).toBe(308);
    expect(response.headers.get('location')).toBe('/console/?x=1');
  });

  it('serves the page with a strict policy and no caching surprises', async () => {
    const response = await get('/console/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(response.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await response.text()).toBe(source('index.html'));
  });

  it.each([
    ['console.js', 'text/javascript; charset=utf-8'],
    ['words.js', 'text/javascript; charset=utf-8'],
    ['sse.js', 'text/javascript; charset=utf-8'],
    ['format.js', 'text/javascript; charset=utf-8'],
    ['dom.js', 'text/javascript; charset=utf-8'],
    ['console.css', 'text/css; charset=utf-8'],
    ['overview.js', 'text/javascript; charset=utf-8'],
    ['overview.css', 'text/css; charset=utf-8'],
  ])('serves %s as %s, revalidated by ETag', async (name, type) => {
    const response = await get(`/console/${name}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expect(response.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(await response.text()).toBe(source(name));
    const etag = response.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    const again = await get(`/console/${name}`, { 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it.each([
    '/console/words.test.ts',
    '/console/index.html',
    '/console/..%2Fsrc%2Fconsole.ts',
    '/console/%2E%2E%2Fpackage.json',
    '/console/missing.js',
    '/console/sub/console.js',
  ])('serves nothing else: %s', async (path) => {
    const response = await get(path);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });

  it('answers HEAD without a body', async () => {
    const response = await fetch(`${running.url}/console/console.css`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await response.text()).toBe('');
  });

  it('works under a base path, where the page finds the API one level up', async () => {
    const handler = createHandshakeHandler(service.engine, {
      basePath: '/v1',
      routes: consoleRoutes(),
    });
    const redirect = await handler(new Request('http://localhost/v1/console'));
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/v1/console/');
    const page = await handler(new Request('http://localhost/v1/console/'));
    expect(page.status).toBe(200);
    const script = await handler(new Request('http://localhost/v1/console/console.js'));
    expect(await script.text()).toBe(source('console.js'));
    expect(new URL('../approvals', 'http://localhost/v1/console/').pathname).toBe('/v1/approvals');
  });

  it('keeps the API beside it', async () => {
    expect((await get('/health')).status).toBe(200);
    expect((await get('/approvals')).status).toBe(401);
  });
});

describe('the console’s source keeps to its policy', () => {
  const html = source('index.html');
  const scripts = ['console.js', 'dom.js', 'format.js', 'overview.js', 'sse.js', 'words.js'].map(
    (name) => [name, source(name)],
  );

  it('has no inline script, style or event handler in the page', () => {
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/\ssrc="\.\//);
    expect(html).not.toMatch(/<script\b[^>]*>\s*[^<\s]/);
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/javascript:/i);
  });

  it.each(scripts)('%s never turns data into markup', (_name, text) => {
    expect(text).not.toMatch(/\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write/);
    expect(text).not.toMatch(/\beval\(|new Function\(/);
    expect(text).not.toMatch(/document\.cookie|localStorage/);
  });
});
