// The reference service as the crash tests run it in a child process they kill with
// SIGKILL: its own configuration from the environment, a card issuer slowed down so a
// kill lands while cards are being issued, and a short execution timeout so a call the
// killed process abandoned can be resolved within the test. Each card really issued is
// reported on stdout (`issued <transactionId>`), which a killed process cannot take back.
// With CRASH_AT set to a step of execute (`crashAt` of @handshake/core/testing), the
// process kills itself with SIGKILL when its first execute reaches that step.
import { simulatedCardIssuer } from '@handshake/cards/testing';
import { MemoryStore } from '@handshake/core';
import { jsonLinesAuditSink, serve } from '@handshake/core/node';
import { type CrashPoint, crashAt } from '@handshake/core/testing';
import { loadConfig } from './config.js';
import { createService } from './service.js';

const point = process.env.CRASH_AT as CrashPoint | undefined;
const kill = () => process.kill(process.pid, 'SIGKILL');
const crash = point ? crashAt(point, { onCrash: kill }) : undefined;
const config = loadConfig();
const simulated = simulatedCardIssuer();
let calls = 0;
const service = await createService(
  // Dying at a step, the process writes its trail through the crash switch.
  crash ? { ...config, auditFile: undefined } : config,
  {
    engine: { executionTimeoutMs: 1_000 },
    ...(crash && config.auditFile
      ? { audit: [crash.audit(jsonLinesAuditSink({ path: config.auditFile }))] }
      : {}),
    ...(crash && config.store.kind === 'memory' ? { store: crash.store(new MemoryStore()) } : {}),
    issuer: {
      specificationVersion: 'v1',
      async issueCard(request) {
        // Spread out, so a kill finds some calls done and some still at the issuer.
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, crash ? 0 : 100 * calls));
        const before = simulated.issuedCount;
        const card = await simulated.issueCard(request);
        if (simulated.issuedCount > before) {
          process.stdout.write(`issued ${request.transactionId}\n`);
        }
        if (point === 'after-provider') kill();
        return card;
      },
    },
  },
);
const running = await serve(service.handler, { port: 0, hostname: '127.0.0.1' });
process.stdout.write(`listening ${running.url}\n`);
