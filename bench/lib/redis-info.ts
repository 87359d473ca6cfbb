import { connect } from 'node:net';

/** Where the Redis benchmarks connect: `REDIS_URL`, or the local default. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Sends one command over RESP (a fresh connection, closed after the reply) and answers
 * the reply's text. Enough for `PING` and `INFO`; the benchmarks need no client library.
 */
export function redisCommand(args: string[], url = REDIS_URL): Promise<string> {
  const { hostname, port, password, username } = new URL(url);
  const encode = (parts: string[]) =>
    `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    let buffer = Buffer.alloc(0);
    let skip = password ? 1 : 0;
    socket.setTimeout(2_000, () => socket.destroy(new Error('Redis did not answer in time')));
    socket.on('error', reject);
    socket.on('connect', () => {
      if (password) {
        socket.write(encode(username ? ['AUTH', username, password] : ['AUTH', password]));
      }
      socket.write(encode(args));
    });
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString();
        let reply: string;
        let used: number;
        if (head.startsWith('$')) {
          const length = Number(head.slice(1));
          if (buffer.length < end + 2 + length + 2) return;
          reply = buffer.subarray(end + 2, end + 2 + length).toString();
          used = end + 2 + length + 2;
        } else if (head.startsWith('-')) {
          socket.destroy();
          reject(new Error(`Redis: ${head.slice(1)}`));
          return;
        } else {
          reply = head.slice(1);
          used = end + 2;
        }
        buffer = buffer.subarray(used);
        if (skip > 0) {
          skip -= 1;
          continue;
        }
        socket.end();
        resolve(reply);
        return;
      }
    });
  });
}

/** Calls per command name since the server started (`INFO commandstats`). */
export async function commandStats(url = REDIS_URL): Promise<Map<string, number>> {
  const text = await redisCommand(['INFO', 'commandstats'], url);
  const out = new Map<string, number>();
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    out.set(match[1]!, Number(match[2]));
  }
  return out;
}

/** Bytes Redis has received from all its clients since it started (`INFO stats`). */
export async function netInputBytes(url = REDIS_URL): Promise<number> {
  const text = await redisCommand(['INFO', 'stats'], url);
  return Number(/^total_net_input_bytes:(\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

/** Whether Redis answers at `url`. */
export async function redisUp(url = REDIS_URL): Promise<boolean> {
  try {
    return (await redisCommand(['PING'], url)) === 'PONG';
  } catch {
    return false;
  }
}
