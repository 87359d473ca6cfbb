// Third-party vectors: packages/client/test-vectors/sse/sse-cases.json, transcribed from
// rexxars/eventsource-parser's tests @6519a0f7 and web-platform-tests eventsource/format-*
// (MIT / BSD-3). Each case lists the chunks a network may deliver and what a conforming
// parser dispatches; see the file's `format` key.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  createEventStreamDecoder,
  type EventStreamHandlers,
  readEventStream,
} from './event-stream.js';

interface Case {
  name: string;
  chunks: string[];
  expected: Array<{ id?: string; event?: string; data?: string; retry?: number; error?: string }>;
  raw_file: string;
}

const vectorsDir = fileURLToPath(new URL('../../test-vectors/sse/', import.meta.url));
const file = JSON.parse(readFileSync(`${vectorsDir}sse-cases.json`, 'utf8')) as {
  format: string;
  cases: Case[];
};

type Seen = Case['expected'][number];

/** Records what the decoder reports, in the vectors' notation. */
function recorder(): { seen: Seen[]; handlers: EventStreamHandlers } {
  const seen: Seen[] = [];
  return {
    seen,
    handlers: {
      onEvent: (event) =>
        seen.push({
          ...(event.id !== undefined ? { id: event.id } : {}),
          ...(event.event !== undefined ? { event: event.event } : {}),
          data: event.data,
        }),
      onRetry: (retry) => seen.push({ retry }),
      // The vectors list only invalid-retry reports (the spec says to ignore the field).
      onError: (error) => {
        if (error.type === 'invalid-retry') seen.push({ error: error.message });
      },
    },
  };
}

const encoder = new TextEncoder();

function streamOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let index = 0;
  return new ReadableStream({
    pull(controller) {
      const next = chunks[index++];
      if (next === undefined) controller.close();
      else controller.enqueue(next);
    },
  });
}

describe('SSE decoding against the third-party vectors', () => {
  it('loads the vectors', () => {
    expect(file.cases.length).toBeGreaterThanOrEqual(18);
    expect(file.format).toMatch(/chunks/);
  });

  for (const vector of file.cases) {
    describe(vector.name, () => {
      it('decodes the text chunks as given', () => {
        const { seen, handlers } = recorder();
        const decoder = createEventStreamDecoder(handlers);
        for (const chunk of vector.chunks) decoder.feedText(chunk);
        decoder.end();
        expect(seen).toEqual(vector.expected);
      });

      it('decodes the same chunks as bytes read from a response body', async () => {
        const { seen, handlers } = recorder();
        const decoder = createEventStreamDecoder(handlers);
        const outcome = await readEventStream(
          streamOf(vector.chunks.map((chunk) => encoder.encode(chunk))),
          decoder,
        );
        expect(outcome).toBe('ended');
        expect(seen).toEqual(vector.expected);
      });

      it('decodes the raw file split into single bytes (characters cut mid-sequence)', async () => {
        const raw = readFileSync(`${vectorsDir}${vector.raw_file}`);
        const { seen, handlers } = recorder();
        const decoder = createEventStreamDecoder(handlers);
        await readEventStream(streamOf([...raw].map((byte) => Uint8Array.of(byte))), decoder);
        expect(seen).toEqual(vector.expected);
      });
    });
  }

  it('reports ids, including ones on blocks without data, for Last-Event-ID', () => {
    const ids: string[] = [];
    const decoder = createEventStreamDecoder({ onEvent: () => {}, onId: (id) => ids.push(id) });
    decoder.feedText('id: 7\n\n: heartbeat\n\nid: 8\nevent: status\ndata: {}\n\nid:\n\n');
    expect(ids).toEqual(['7', '8', '']);
  });

  it('stops reading when asked and cancels the body', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('data: first\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    const seen: string[] = [];
    const decoder = createEventStreamDecoder({ onEvent: (event) => seen.push(event.data) });
    const outcome = await readEventStream(body, decoder, { shouldStop: () => seen.length > 0 });
    expect(outcome).toBe('stopped');
    expect(seen).toEqual(['first']);
    expect(cancelled).toBe(true);
  });

  it('reports an oversized event instead of buffering without bound', () => {
    const errors: string[] = [];
    const decoder = createEventStreamDecoder(
      { onEvent: () => {}, onError: (error) => errors.push(error.type) },
      { maxBufferSize: 64 },
    );
    decoder.feedText(`data: ${'x'.repeat(100)}`);
    expect(errors).toEqual(['max-buffer-size-exceeded']);
  });
});
