// Runs the example as its README says (`pnpm start`) and checks what it prints.
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { expectTheThreeFlows, runStart } from '../../../test/support/agent-example.js';

describe('examples/langchain', () => {
  it('pnpm start: a read at once, an approved refund, a denied one; the model saw nothing secret', async () => {
    const output = await runStart(fileURLToPath(new URL('..', import.meta.url)));
    expectTheThreeFlows(output, /the graph is interrupted: create_refund waits for a person/);
  });
});
