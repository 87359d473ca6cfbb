// Runs the client where there is no Node: the main entry is bundled with everything it
// imports (protocol, ky, eventsource-parser, zod, noble) for a platform-neutral target, then
// evaluated inside @edge-runtime/vm — Vercel's emulation of the Edge Runtime, a V8
// context with only Web APIs (its own fetch, streams, Web Crypto; no `process`,
// `require` or `Buffer`) — and used there against the real service over real HTTP.
//
// Why not vitest's `edge-runtime` environment: it copies Web globals onto Node's global
// but leaves `process`, `Buffer` and `node:` imports working, so it could not catch a
// Node dependency. The bundle below cannot even be built if anything imports `node:`.

import { fileURLToPath } from 'node:url';
import { EdgeVM } from '@edge-runtime/vm';
import { build } from 'esbuild';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KEY_ID, SESSION, type Service, startService } from '../test/harness.js';

let bundle: { code: string; inputs: string[]; imports: string[] };

beforeAll(async () => {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'HandshakeClientBundle',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['@handshake/source', 'worker', 'browser', 'import', 'default'],
    target: 'es2022',
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  bundle = {
    code: result.outputFiles[0]?.text ?? '',
    inputs,
    imports: Object.values(result.metafile.inputs).flatMap((input) =>
      input.imports.map((i) => i.path),
    ),
  };
}, 60_000);

let service: Service | undefined;

afterEach(async () => {
  await service?.close();
  service = undefined;
});

describe('the client on an edge runtime', () => {
  it('imports nothing from node:, directly or through its dependencies', () => {
    expect(bundle.inputs.some((input) => input.includes('packages/protocol/src/'))).toBe(true);
    expect(bundle.inputs.some((input) => input.includes('packages/core/'))).toBe(false);
    expect(bundle.inputs.some((input) => input.includes('/ky/'))).toBe(true);
    expect(bundle.imports.filter((path) => path.startsWith('node:'))).toEqual([]);
    expect(bundle.code).not.toMatch(/\brequire\(["']/);
  });

  it('calls, signs, waits over SSE and executes inside the Edge Runtime VM', async () => {
    service = await startService();
    const vm = new EdgeVM();
    expect(vm.evaluate('[typeof process, typeof require, typeof Buffer]')).toEqual([
      'undefined',
      'undefined',
      'undefined',
    ]);
    vm.evaluate(bundle.code);
    // The agent's code runs inside the VM too, so every object is of that realm, as on a
    // real edge runtime; the host only stands in for the person who approves.
    const agent = vm.evaluate(`(async ({ url, session, keyId, privateKey, approve }) => {
      const { createHandshakeClient, HandshakeError } = HandshakeClientBundle;
      const client = createHandshakeClient({ baseUrl: url, session, signer: { keyId, privateKey } });
      const read = await client.call('get_order', { id: 'O-1' });
      const statuses = [];
      const pay = await client.call('pay_order', { order_id: 'O-2', amount: '12.00' }, {
        onStatus: (status) => {
          statuses.push(status.status);
          if (status.status === 'streaming') approve(status.approvalId);
        },
      });
      const refused = await client.call('drop_tables', {}).catch((error) => ({
        code: error.code,
        branded: HandshakeError.isInstance(error),
        message: error.message,
      }));
      return JSON.stringify({ read, pay, statuses, refused });
    })`) as (input: {
      url: string;
      session: string;
      keyId: string;
      privateKey: string;
      approve: (approvalId: string) => void;
    }) => Promise<string>;
    const svc = service;
    const outcome = JSON.parse(
      await agent({
        url: service.url,
        session: SESSION,
        keyId: KEY_ID,
        privateKey: service.privateKey,
        approve: (approvalId) => void svc.decide(approvalId, 'approve'),
      }),
    );
    expect(outcome.read).toEqual({ order: 'O-1', state: 'APPROVED' });
    expect(outcome.pay).toEqual({ capture: 'CAP-1', amount: '12.00' });
    expect(outcome.statuses).toEqual([
      'authorizing',
      'pending',
      'streaming',
      'approved',
      'executing',
      'completed',
    ]);
    expect(service.calls.get('get_order')).toBe(1);
    expect(service.calls.get('pay_order')).toBe(1);
    expect(outcome.refused).toMatchObject({ code: 'TOOL_NOT_ALLOWED', branded: true });
    expect(outcome.refused.message).toMatch(/^Authorize failed with TOOL_NOT_ALLOWED: POST http/);
  });
});
