import { generateSigningKey } from '@handshake/protocol';

/**
 * `handshake-paypal-mcp keygen [userId] [keyId]`: prints a fresh Ed25519 signing key, the
 * private half for this server's environment, the public half for the service's
 * HANDSHAKE_KEYS. Returns the exit code.
 */
export function keygen(args: readonly string[]): number {
  const [userId = 'alice', keyId = 'laptop'] = args;
  if (!/^[^:,\s]+$/.test(userId) || !/^[^:,\s]+$/.test(keyId)) {
    process.stderr.write(
      'usage: handshake-paypal-mcp keygen [userId] [keyId] (no ":", "," or spaces)\n',
    );
    return 1;
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
  return 0;
}
