// A local npm registry (verdaccio) for the registry test: storage in the folder given,
// listening on a free loopback port, which it prints as one JSON line on stdout.
// Usage: node registry-main.mjs <storage folder>
import { join } from 'node:path';
import { runServer } from 'verdaccio';

const [storage] = process.argv.slice(2);
if (!storage) throw new Error('usage: registry-main.mjs <storage folder>');

const app = await runServer({
  self_path: storage,
  storage: join(storage, 'packages'),
  auth: { htpasswd: { file: join(storage, 'htpasswd'), max_users: 10 } },
  // No uplink: only what is published here is served; everything else comes from the
  // npm registry, through the consumer's scoped configuration.
  uplinks: {},
  packages: {
    '@handshake/*': { access: '$all', publish: '$authenticated' },
    '**': { access: '$all', publish: '$authenticated' },
  },
  max_body_size: '100mb',
  log: { type: 'stdout', format: 'pretty', level: 'error' },
});
app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: app.address().port })}\n`);
});
const stop = () => app.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
