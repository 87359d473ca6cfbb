import { generateSigningKey } from '@handshake/core';

// Prints a fresh Ed25519 signing key: the private half for this server's environment, the
// public half for the service's HANDSHAKE_KEYS. Usage: keygen [userId] [keyId]

const [userId = 'alice', keyId = 'laptop'] = process.argv.slice(2);
if (!/^[^:,\s]+$/.test(userId) || !/^[^:,\s]+$/.test(keyId)) {
  process.stderr.write('usage: keygen [userId] [keyId] (no ":", "," or spaces)\n');
  process.exit(1);
}
const key = generateSigningKey();
process.stdout.write(
  [
    '# For the MCP server (keep the private key secret):',
    `HANDSHAKE_KEY_ID=${keyId}`,
    `HANDSHAKE_PRIVATE_KEY=${key.privateKey}`,
    '# For the Handshake service:',
    `HANDSHAKE_KEYS=${userId}:${keyId}:${key.publicKey}`,
    '',
  ].join('\n'),
);
