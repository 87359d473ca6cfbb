import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoreV1 } from '@handshake/core';
import { serve } from '@handshake/core/node';
import { ed25519PublicKey } from '@handshake/protocol';
import { loadConfig } from '../../packages/server/src/config.js';
import { demoShopTools, exchangeRateTool } from '../../packages/server/src/demo-tools.js';
import { createService, type Service } from '../../packages/server/src/service.js';
import { KEY_ID, SIGNING_SEED } from '../lib/fixtures.js';
import type { LoadRequest, LoadResult } from './load-generator.js';

/** Users of the HTTP benchmarks; pairs go round-robin over them. */
export const USERS = 2_000;
export const APPROVER_TOKEN = 'bench-approver-token-0001';

/** The reference service, served on loopback. */
export interface RunningService {
  url: string;
  service: Service;
  sessions: string[];
  close(): Promise<void>;
}

/**
 * The reference service (`packages/server`) as `pnpm start` builds it, with
 * `USERS` development sessions, one signing key registered for each, an approver
 * token, and a JSON-lines audit file, served by `serve` on 127.0.0.1.
 *
 * Its tools are the demo shop's (`get_exchange_rate` PUBLIC, `get_balance` INTERNAL,
 * `create_invoice` CONFIDENTIAL, `create_refund` RESTRICTED), which answer at once, in
 * place of PayPal's toolkit over the simulated PayPal API: the figures are the
 * handshake's cost, not the cost of the call it protects.
 *
 * Many users because the default rate limit (120 authorizations a minute per user)
 * is on, as in production: spread over 2,000 users it is never reached.
 */
export async function startService(store?: StoreV1): Promise<RunningService> {
  const sessions = Array.from({ length: USERS }, (_, i) => `bench-session-${i}`);
  const publicKey = ed25519PublicKey(SIGNING_SEED);
  const auditDir = mkdtempSync(join(tmpdir(), 'handshake-bench-'));
  const config = loadConfig({
    HANDSHAKE_SESSIONS: sessions.map((s, i) => `user${i}:${s}`).join(','),
    HANDSHAKE_KEYS: sessions.map((_, i) => `user${i}:${KEY_ID}:${publicKey}`).join(','),
    HANDSHAKE_APPROVER_TOKEN: APPROVER_TOKEN,
    // BENCH_AUDIT_FILE=0 runs without the audit file (the audit chain is still built).
    ...(process.env.BENCH_AUDIT_FILE === '0'
      ? {}
      : { HANDSHAKE_AUDIT_FILE: join(auditDir, 'audit.jsonl') }),
  });
  const service = await createService(config, {
    tools: [exchangeRateTool(), demoShopTools()],
    ...(store ? { store } : {}),
  });
  const running = await serve(service.handler, { port: 0 });
  return {
    url: running.url,
    service,
    sessions,
    async close() {
      await running.close();
      await service.close();
      rmSync(auditDir, { recursive: true, force: true });
    },
  };
}

/** The load generator in its own process. */
export interface Generator {
  run(request: Omit<LoadRequest, 'signingSeed' | 'keyId'>): Promise<LoadResult>;
  close(): void;
}

export function startGenerator(): Generator {
  const child: ChildProcess = fork(new URL('./load-generator.ts', import.meta.url), [], {
    execArgv: process.execArgv.filter((arg) => !arg.startsWith('--cpu-prof')),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    run(request) {
      return new Promise((resolve, reject) => {
        const onExit = () => reject(new Error('the load generator exited'));
        child.once('exit', onExit);
        child.once('message', (result) => {
          child.off('exit', onExit);
          resolve(result as LoadResult);
        });
        child.send({
          ...request,
          signingSeed: Buffer.from(SIGNING_SEED).toString('base64url'),
          keyId: KEY_ID,
        });
      });
    },
    close() {
      child.send('exit');
    },
  };
}

/** The value below which `p` of the (unsorted) samples fall. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
