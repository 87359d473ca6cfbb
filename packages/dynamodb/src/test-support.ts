// Shared by the DynamoDB test files; not part of the package's API (tsup builds index.ts only).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { describe, it } from 'vitest';
import { createDynamoDBTable } from './provision.js';

// The engine fixtures (sessions, keys, tools, HTTP helpers) are the Redis tests' own.
export {
  CREDENTIALS,
  freePort,
  moneyTools,
  postJson,
  serviceFixture,
  sseEvents,
  startInstance,
  within,
} from '../../redis/src/test-support.js';

import { freePort } from '../../redis/src/test-support.js';

/** A `dynalite` server of the test's own: DynamoDB's API on LevelDB, in memory. */
export interface Dynalite {
  port: number;
  endpoint: string;
  /** Stops it with SIGKILL, as a crash or a lost network would. */
  kill(): Promise<void>;
  /** Starts it again on the same port: empty in memory, or with the data kept at `path`. */
  restart(): Promise<void>;
}

function dynaliteCli(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('dynalite/cli.js');
  } catch {
    return undefined;
  }
}

async function answers(port: number): Promise<boolean> {
  const socket = connect(port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

/**
 * Starts `dynalite` on a free loopback port and waits until it accepts connections. In
 * memory by default; with `path`, on LevelDB files there, which outlive a restart.
 */
export async function startDynalite(options: { path?: string } = {}): Promise<Dynalite> {
  const cli = dynaliteCli();
  if (!cli) throw new Error('dynalite is not installed');
  const chosen = await freePort();
  const storage = options.path ? ['--path', options.path] : [];
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      process.execPath,
      [cli, '--host', '127.0.0.1', '--port', String(chosen), '--createTableMs', '0', ...storage],
      { stdio: 'ignore' },
    );
    const started = Date.now();
    while (!(await answers(chosen))) {
      if (child.exitCode !== null) throw new Error(`dynalite exited with ${child.exitCode}`);
      if (Date.now() - started > 10_000) throw new Error('dynalite did not start');
      // A real process is starting: there is no clock to drive, only a socket to retry.
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  await start();
  return {
    port: chosen,
    endpoint: `http://127.0.0.1:${chosen}`,
    async kill() {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = once(running, 'exit');
      running.kill('SIGKILL');
      await exited;
    },
    restart: start,
  };
}

/**
 * Starts the server for a test file. Without dynalite the file's suites are skipped with
 * a message, except in CI (`CI=true`), where a failing test says it is missing.
 */
export async function dynaliteGate(): Promise<Dynalite | undefined> {
  let failure: unknown;
  try {
    return await startDynalite();
  } catch (error) {
    failure = error;
  }
  const reason = failure instanceof Error ? failure.message : String(failure);
  if (process.env.CI === 'true') {
    describe('dynalite', () => {
      it('starts in CI', () => {
        throw new Error(`DynamoDB tests cannot run: ${reason}`);
      });
    });
  } else {
    console.warn(`DynamoDB tests skipped: ${reason}`);
  }
  return undefined;
}

/** A client of the test server, with fixed credentials and few, quick retries. */
export function testClient(endpoint: string, config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...config,
  });
}

let tables = 0;

/** Creates a table no other test uses and answers its name. */
export async function freshTable(client: DynamoDBClient, label = 't'): Promise<string> {
  tables += 1;
  const name = `hs-${label}-${process.pid}-${Date.now().toString(36)}-${tables}`;
  await createDynamoDBTable(client, name);
  return name;
}
