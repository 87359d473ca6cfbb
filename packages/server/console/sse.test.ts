// The Server-Sent Events cases of packages/client/test-vectors/sse (transcribed from
// rexxars/eventsource-parser tests @6519a0f7 and web-platform-tests eventsource/format-*,
// MIT / BSD-3; see the README there): each stream is fed in the chunks given,
// since chunk boundaries matter, and must produce exactly the events, ids and retry
// values listed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEventStreamParser, readEventStream } from './sse.js';

interface Case {
  name: string;
  chunks: string[];
  expected: Array<Record<string, unknown>>;
}

const vectors = JSON.parse(
  readFileSync(new URL('../../client/test-vectors/sse/sse-cases.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

function run(chunks: readonly string[]) {
  const seen: Array<Record<string, unknown>> = [];
  let comments = 0;
  const parser = createEventStreamParser({
    onEvent: ({ event, data, id }) =>
      seen.push({
        ...(id !== undefined ? { id } : {}),
        ...(event !== 'message' ? { event } : {}),
        data,
      }),
    onRetry: (retry) => seen.push({ retry }),
    onInvalidRetry: (value) =>
      seen.push({ error: `Invalid \`retry\` value: ${JSON.stringify(value)}` }),
    onComment: () => {
      comments += 1;
    },
  });
  for (const chunk of chunks) parser.feed(chunk);
  return { seen, comments };
}

describe('the console’s event-stream parser', () => {
  it('has the shared cases', () => {
    expect(vectors.cases.length).toBeGreaterThanOrEqual(19);
  });

  it.each(vectors.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(run(c.chunks).seen).toEqual(c.expected);
  });

  it.each(vectors.cases.map((c) => [c.name, c] as const))(
    '%s, fed one character at a time',
    (_name, c) => {
      expect(run([...c.chunks.join('')]).seen).toEqual(c.expected);
    },
  );

  it('hears heartbeat comments', () => {
    expect(run([': heartbeat\n\n', ': heartbeat\n\n']).comments).toBe(2);
  });

  it('reads a fetch body, across chunks that split a UTF-8 character', async () => {
    const bytes = new TextEncoder().encode('event: snapshot\ndata: {"a":"✔"}\n\n: hb\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
        controller.close();
      },
    });
    const events: Array<{ event: string; data: string }> = [];
    let chunks = 0;
    await readEventStream(new Response(body), {
      onEvent: (e) => events.push(e),
      onBytes: () => {
        chunks += 1;
      },
    });
    expect(events).toEqual([{ event: 'snapshot', data: '{"a":"✔"}' }]);
    expect(chunks).toBe(bytes.length);
  });
});
