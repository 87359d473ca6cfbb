// Holds thousands of SSE waiters open from a child process, so the server's process
// holds only the server side of each. Plain sockets speaking HTTP/1.1: the client's
// own cost does not matter here, only that each connection is a real waiter.
import { connect, type Socket } from 'node:net';

/** Messages from the parent. */
export type ClientCommand =
  | {
      kind: 'open';
      host: string;
      port: number;
      waiters: Array<{ approvalId: string; session: string }>;
    }
  | { kind: 'watch'; approvalId: string }
  | { kind: 'close' };

/** Messages to the parent. */
export type ClientReport =
  | { kind: 'opened'; count: number; failed: number }
  | { kind: 'approved'; approvalId: string; at: string }
  | { kind: 'closed' };

const sockets = new Map<string, Socket>();
const watched = new Set<string>();

function open(host: string, port: number, approvalId: string, session: string) {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    let seen = '';
    let ready = false;
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      socket.write(
        `GET /approvals/${approvalId} HTTP/1.1\r\nHost: ${host}:${port}\r\n` +
          `Accept: text/event-stream\r\nAuthorization: Bearer ${session}\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: string) => {
      if (watched.has(approvalId) && chunk.includes('"status":"approved"')) {
        process.send?.({ kind: 'approved', approvalId, at: process.hrtime.bigint().toString() });
        watched.delete(approvalId);
      }
      if (ready) return;
      seen += chunk;
      if (seen.includes('event: status')) {
        ready = true;
        seen = '';
        resolve(true);
      }
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => {
      sockets.delete(approvalId);
      if (!ready) resolve(false);
    });
    sockets.set(approvalId, socket);
  });
}

process.on('message', async (command: ClientCommand) => {
  if (command.kind === 'open') {
    let failed = 0;
    // In batches, so the server is never asked to accept thousands at once.
    for (let i = 0; i < command.waiters.length; i += 250) {
      const batch = command.waiters.slice(i, i + 250);
      const results = await Promise.all(
        batch.map((w) => open(command.host, command.port, w.approvalId, w.session)),
      );
      failed += results.filter((ok) => !ok).length;
    }
    process.send?.({ kind: 'opened', count: command.waiters.length - failed, failed });
  } else if (command.kind === 'watch') {
    watched.add(command.approvalId);
  } else {
    for (const socket of sockets.values()) socket.destroy();
    sockets.clear();
    process.send?.({ kind: 'closed' });
  }
});
