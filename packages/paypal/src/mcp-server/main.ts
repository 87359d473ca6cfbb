import './stdout-guard.js';
import { createHandshakeClient } from '@handshake/client';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { registerSecuredPayPalTools } from '../mcp/register.js';
import { ConfigError, readConfig, VARIABLES } from './config.js';
import { keygen } from './keygen.js';

// `handshake-paypal-mcp`: a stdio MCP server offering PayPal's agent toolkit tools, each
// run through the Handshake service (authorize, wait for approval, sign, execute). It
// holds no PayPal credentials; the service does. Logs go to stderr; stdout carries
// protocol messages only.

function log(message: string) {
  process.stderr.write(`handshake-paypal-mcp: ${message}\n`);
}

function help(): string {
  const width = Math.max(...Object.keys(VARIABLES).map((name) => name.length));
  return [
    "Usage: handshake-paypal-mcp            serve PayPal's tools over stdio, behind the Handshake",
    '       handshake-paypal-mcp keygen [userId] [keyId]   print a new signing key',
    '',
    'Environment variables (all required):',
    ...Object.entries(VARIABLES).map(([name, meaning]) => `  ${name.padEnd(width)}  ${meaning}`),
    '',
  ].join('\n');
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(help());
    return;
  }
  if (command === 'keygen') {
    process.exitCode = keygen(rest);
    return;
  }
  if (command !== undefined) {
    process.stderr.write(`Unknown argument: ${command}\n\n${help()}`);
    process.exit(2);
  }
  let config: ReturnType<typeof readConfig>;
  try {
    config = readConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const client = createHandshakeClient({
    baseUrl: config.url,
    session: config.sessionToken,
    signer: { keyId: config.keyId, privateKey: config.privateKey },
  });
  const server = new McpServer(
    { name: 'paypal-handshake', version: '0.1.0' },
    {
      instructions:
        'PayPal tools behind the Handshake. Tools marked RESTRICTED wait until a person approves the exact call; a denial comes back as APPROVAL_DENIED. Never retry a money-moving tool on your own.',
    },
  );
  const tools = registerSecuredPayPalTools(server, {
    client,
    // Hosts with URL-mode elicitation open the console at the approval their call awaits.
    approvalUrl: (id) => new URL(`console#approval=${encodeURIComponent(id)}`, config.url).href,
  });
  await server.connect(new StdioServerTransport());
  log(`${Object.keys(tools).length} PayPal tools served through ${config.url.origin}`);

  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  log(`stopped: ${error instanceof Error ? error.message : 'unexpected error'}`);
  process.exit(1);
});
