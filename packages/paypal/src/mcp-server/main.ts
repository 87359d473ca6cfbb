import './stdout-guard.js';
import { createHandshakeClient } from '@handshake/client';
import { registerSecuredPayPalTools } from '@handshake/paypal';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ConfigError, readConfig } from './config.js';

// A stdio MCP server: PayPal's agent toolkit tools, each run through the Handshake
// service (authorize, wait for approval, sign, execute). It holds no PayPal credentials;
// the service does. Logs go to stderr; stdout carries protocol messages only.

function log(message: string) {
  process.stderr.write(`paypal-mcp-server: ${message}\n`);
}

async function main() {
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
