// The reference service as the crash tests run it in a child process they kill with
// SIGKILL: its own configuration from the environment, a card issuer slowed down so a
// kill lands while cards are being issued, and a short execution timeout so a call the
// killed process abandoned can be resolved within the test. Each card really issued is
// reported on stdout (`issued <transactionId>`), which a killed process cannot take back.
import { simulatedCardIssuer } from '@handshake/core';
import { serve } from '@handshake/core/node';
import { loadConfig } from './config.js';
import { createService } from './service.js';

const simulated = simulatedCardIssuer();
let calls = 0;
const service = await createService(loadConfig(), {
  engine: { executionTimeoutMs: 1_000 },
  issuer: {
    specificationVersion: 'v1',
    async issueCard(request) {
      // Spread out, so a kill finds some calls done and some still at the issuer.
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 100 * calls));
      const before = simulated.issuedCount;
      const card = await simulated.issueCard(request);
      if (simulated.issuedCount > before) process.stdout.write(`issued ${request.transactionId}\n`);
      return card;
    },
  },
});
const running = await serve(service.handler, { port: 0, hostname: '127.0.0.1' });
process.stdout.write(`listening ${running.url}\n`);
