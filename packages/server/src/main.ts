import { serve } from '@handshake/core/node';
import { ConfigError, loadConfig } from './config.js';
import { helpText } from './help.js';
import { createService } from './service.js';
import { startTelemetry } from './telemetry.js';

// `handshake-server`: the reference service, configured by environment variables.

async function main() {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(helpText());
    return;
  }
  if (args.length > 0) {
    console.error(
      `Unknown argument: ${args[0]}. The service is configured by environment variables; see handshake-server --help.`,
    );
    process.exit(2);
  }
  const config = loadConfig();
  // Started before the service, so the store and tools opened there are traced too.
  const telemetry = await startTelemetry(config.telemetry);
  const service = await createService(config, telemetry ? { telemetry } : {});
  const running = await serve(service.handler, { port: config.port, hostname: '0.0.0.0' });
  const tools = await service.engine.listTools();
  console.log(`Handshake reference service listening on http://localhost:${running.port}`);
  console.log(`  approval console: http://localhost:${running.port}/console/`);
  console.log(
    `  store: ${config.store.kind}; token lifetime ${config.tokenTtlSeconds} s; PayPal: ${config.paypalMode}`,
  );
  console.log(`  cards: ${service.cards}`);
  console.log(`  ${tools.length} tools: ${tools.map((t) => `${t.name} (${t.tier})`).join(', ')}`);
  if (!config.approverToken)
    console.log('  no HANDSHAKE_APPROVER_TOKEN: approvals can only time out');
  if (telemetry?.metricsUrl) console.log(`  metrics: ${telemetry.metricsUrl}`);
  if (config.telemetry.otlpTraces) console.log('  traces: OTLP (OTEL_EXPORTER_OTLP_ENDPOINT)');
  service.log.info({ port: running.port, store: config.store.kind }, 'listening');
  const stop = async () => {
    await running.close();
    await service.close();
    await telemetry?.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(`Configuration error: ${error.message}`);
  } else {
    console.error('The service failed to start:', error);
  }
  process.exit(1);
});
