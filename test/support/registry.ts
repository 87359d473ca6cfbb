import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** A running local registry: its address, a publish token, and how to stop it. */
export interface LocalRegistry {
  url: string;
  token: string;
  stop(): Promise<void>;
}

/**
 * Starts verdaccio (the repository's devDependency) in a child process on a free
 * loopback port, with its storage in `storage`, and registers a user to publish with.
 */
export async function startRegistry(storage: string): Promise<LocalRegistry> {
  const main = fileURLToPath(new URL('./registry-main.mjs', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [main, storage], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const port = await new Promise<number>((resolve, reject) => {
    let line = '';
    child.stdout?.on('data', (chunk) => {
      line += chunk;
      const match = /\{"port":(\d+)\}/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) =>
      reject(new Error(`verdaccio exited (${code}):\n${line}${output}`)),
    );
  });
  const url = `http://127.0.0.1:${port}/`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  try {
    const response = await fetch(`${url}-/user/org.couchdb.user:handshake`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'handshake', password: 'local-registry-only' }),
    });
    const body = (await response.json()) as { token?: string };
    if (!response.ok || !body.token) {
      throw new Error(`verdaccio refused the user: ${response.status} ${JSON.stringify(body)}`);
    }
    return { url, token: body.token, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
