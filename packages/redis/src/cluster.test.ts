import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApprovalEvent } from '@handshake/core';
import { storeConformance } from '@handshake/core/testing';
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from './redis-store.js';
import {
  freePort,
  portFree,
  type RedisProcess,
  redisBinariesGate,
  redisGate,
  startRedisServer,
  uniquePrefix,
  within,
} from './test-support.js';

const available = (await redisGate()) && redisBinariesGate();

/** A port whose cluster bus port (port + 10000) is free too. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 10_000 <= 65_535 && !taken.has(port) && (await portFree(port + 10_000))) {
      return port;
    }
  }
}

/**
 * Three masters of a real Redis Cluster, started by the test: every script must touch
 * one slot only (the user's hash tag), or Redis refuses it with CROSSSLOT.
 */
describe.skipIf(!available)('RedisStore on Redis Cluster', () => {
  const nodes: RedisProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'hs-cluster-'));
  let cluster: Cluster;

  beforeAll(async () => {
    const taken = new Set<number>();
    for (let i = 0; i < 3; i += 1) {
      const port = await clusterPort(taken);
      taken.add(port);
      nodes.push(
        await startRedisServer(port, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--dir',
          dir,
        ]),
      );
    }
    const created = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8' },
    );
    expect(created.status, created.stdout + created.stderr).toBe(0);
    // The nodes agree on the slot map a moment after creation: wait for state ok.
    for (const node of nodes) {
      const probe = new Redis(node.url);
      const deadline = Date.now() + 15_000;
      while (!/cluster_state:ok/.test(String(await probe.cluster('INFO')))) {
        if (Date.now() > deadline) throw new Error('the cluster did not converge');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await probe.quit();
    }
    cluster = new Cluster([{ host: '127.0.0.1', port: nodes[0]!.port }]);
    cluster.on('error', () => {});
  }, 30_000);

  afterAll(async () => {
    cluster?.disconnect();
    for (const node of nodes) await node.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  storeConformance(
    'RedisStore (Cluster)',
    () => new RedisStore({ client: cluster, keyPrefix: uniquePrefix('cl') }),
    { describe, it, afterEach },
  );

  it('keeps each user in one slot and spreads users over the nodes', async () => {
    const store = new RedisStore({ client: cluster, keyPrefix: uniquePrefix('slots') });
    const slotOf = async (key: string) => Number(await cluster.cluster('KEYSLOT', key));
    const owners = new Set<string>();
    const slots = await cluster.cluster('SLOTS');
    for (let user = 0; user < 12; user += 1) {
      const partition = `user${user}`;
      const keys = [
        store.keys.token(partition, 'a'.repeat(64)),
        store.keys.approval(partition, 'apr_1'),
        store.keys.rate(partition, 0),
        store.keys.spent(partition, 'daily:2026-03-02'),
        ...store.keys.reservationKeys(partition),
      ];
      const keySlots = new Set(await Promise.all(keys.map(slotOf)));
      expect(keySlots.size).toBe(1);
      const slot = [...keySlots][0]!;
      const range = slots.find(([from, to]) => slot >= from && slot <= to);
      owners.add(String(range?.[2]?.[1]));
    }
    expect(owners.size).toBeGreaterThan(1);
    await store.close();
  });

  it('publishes approval decisions to stores listening on other nodes', async () => {
    const prefix = uniquePrefix('clpub');
    const writer = new RedisStore({ client: cluster, keyPrefix: prefix });
    const listenerClient = new Cluster([{ host: '127.0.0.1', port: nodes[2]!.port }]);
    listenerClient.on('error', () => {});
    const listener = new RedisStore({ client: listenerClient, keyPrefix: prefix });
    const heard: ApprovalEvent[] = [];
    let got = () => {};
    const arrived = new Promise<void>((resolve) => {
      got = resolve;
    });
    listener.subscribeApprovals((event) => {
      heard.push(event);
      // Messages from different nodes travel the cluster bus independently: wait for all.
      if (heard.filter((e) => e.version === 2).length === 6) got();
    });
    await listener.ready();
    const now = Date.now();
    for (let user = 0; user < 6; user += 1) {
      const partition = `pub${user}`;
      const approvalId = `apr_${user}`;
      const record = {
        transactionId: `tx_${user}`,
        userId: `u${user}`,
        sessionId: 's:1',
        tool: 'pay_order',
        tier: 'RESTRICTED' as const,
        paramsHash: 'b'.repeat(64),
        expiresAt: now + 30_000,
        createdAt: now,
      };
      await writer.authorize({
        partition,
        userId: record.userId,
        now,
        requiresApproval: true,
        token: { digest: 'c'.repeat(64), record },
        approval: {
          ...record,
          approvalId,
          parameters: {},
          status: 'pending',
          reasons: [{ kind: 'tier' }],
          expiresAt: now + 300_000,
          version: 1,
        },
        retainMs: 60_000,
      });
      await writer.decideApproval({
        partition,
        approvalId,
        now,
        expectedStatus: 'pending',
        status: user === 5 ? 'denied' : 'approved',
      });
    }
    await within(arrived, 5_000, 'the listening store heard not every decision');
    expect(
      heard
        .filter((e) => e.version === 2)
        .map((e) => e.approvalId)
        .sort(),
    ).toEqual(['apr_0', 'apr_1', 'apr_2', 'apr_3', 'apr_4', 'apr_5']);
    await writer.close();
    await listener.close();
    listenerClient.disconnect();
  });
});
