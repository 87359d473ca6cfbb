import { startLocalService } from './local-service.js';

// `pnpm --dir examples/paypal-mcp-server service`: the local Handshake service with the
// PayPal provider, configured by environment (see README.md).

startLocalService({ env: process.env })
  .then((service) => {
    const paypal = service.paypal ? 'simulated PayPal' : `PayPal ${process.env.PAYPAL_MODE}`;
    process.stdout.write(`Handshake service with ${paypal} on ${service.url}\n`);
    const stop = () => void service.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  })
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
