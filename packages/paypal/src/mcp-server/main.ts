import { createHandshakeClient } from '@handshake/client';
import { serve } from '@handshake/core/node';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createSecuredPayPalMcpHandler, type SecuredPayPalMcpHandler } from '../mcp/http.js';
import { registerSecuredPayPalTools } from '../mcp/register.js';
import { bearerVerifier } from './bearers.js';
import {
  ConfigError,
  HTTP_VARIABLES,
  type HttpConfig,
  readConfig,
  type ServerConfig,
  VARIABLES,
} from './config.js';
import { keygen } from './keygen.js';

// `handshake-paypal-mcp`: an MCP server offering PayPal's agent toolkit tools, each run
// through the Handshake service (authorize, wait for approval, sign, execute), over
// stdio or Streamable HTTP. It holds no PayPal credentials; the service does. Logs go to
// stderr; over stdio, stdout carries protocol messages only.

const INSTRUCTIONS =
  'PayPal tools behind the Handshake. Tools marked RESTRICTED wait until a person approves the exact call; a denial comes back as APPROVAL_DENIED. Never retry a money-moving tool on your own.';

function log(message: string) {
  process.stderr.write(`handshake-paypal-mcp: ${message}\n`);
}

function help(): string {
  const width = Math.max(
    ...[...Object.keys(VARIABLES), ...Object.keys(HTTP_VARIABLES)].map((name) => name.length),
  );
  const line = ([name, meaning]: [string, string]) => `  ${name.padEnd(width)}  ${meaning}`;
  return [
    "Usage: handshake-paypal-mcp            serve PayPal's tools over stdio, behind the Handshake",
    '       handshake-paypal-mcp --http     serve them over Streamable HTTP (bearer required)',
    '       handshake-paypal-mcp keygen [userId] [keyId]   print a new signing key',
    '',
    'Environment variables (HANDSHAKE_SESSION_TOKEN over stdio only):',
    ...Object.entries(VARIABLES).map(line),
    '',
    'Over HTTP (HANDSHAKE_USER_SESSIONS and one kind of bearer required):',
    ...Object.entries(HTTP_VARIABLES).map(line),
    '',
    "Over HTTP, a host's bearer names the user; the server then calls the service with that",
    "user's own session from HANDSHAKE_USER_SESSIONS (never with the bearer), signing with",
    'HANDSHAKE_PRIVATE_KEY, whose public key the service lists for every served user.',
    '',
  ].join('\n');
}

async function serveHttp(config: ServerConfig, http: HttpConfig) {
  const approvalUrl = (id: string) =>
    new URL(`console#approval=${encodeURIComponent(id)}`, config.url).href;
  let handler: SecuredPayPalMcpHandler | undefined;
  const running = await serve(
    async (request) => handler?.fetch(request) ?? new Response(null, { status: 503 }),
    { hostname: http.host, port: http.port },
  );
  const resource = http.url ?? new URL('/mcp', running.url);
  handler = createSecuredPayPalMcpHandler({
    resource,
    sessions: bearerVerifier(http, resource),
    // The user the bearer names acts at the service with their own session.
    clientFor: ({ userId }) => {
      const session = http.userSessions[userId];
      return session === undefined
        ? undefined
        : createHandshakeClient({
            baseUrl: config.url,
            session,
            signer: { keyId: config.keyId, privateKey: config.privateKey },
          });
    },
    approvalUrl,
    instructions: INSTRUCTIONS,
    ...(http.authorizationServers.length > 0
      ? { authorizationServers: http.authorizationServers }
      : {}),
    ...(http.scopes.length > 0 ? { scopes: http.scopes } : {}),
    ...(http.allowedOrigins ? { allowedOrigins: http.allowedOrigins } : {}),
    ...(http.maxSessions !== undefined ? { maxSessions: http.maxSessions } : {}),
  });
  log(`PayPal tools served over HTTP at ${resource.href}, through ${config.url.origin}`);
  if (resource.protocol === 'http:' && !/^(127\.|localhost$|::1$)/.test(http.host)) {
    log('warning: listening beyond loopback without TLS; put HTTPS in front of it');
  }
  const started = handler;
  const stop = async () => {
    await started.close();
    await running.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
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
  const http = command === '--http';
  if ((command !== undefined && !http) || (http && rest.length > 0)) {
    process.stderr.write(`Unknown argument: ${http ? rest[0] : command}\n\n${help()}`);
    process.exit(2);
  }
  let config: ReturnType<typeof readConfig>;
  try {
    config = readConfig(process.env, { http });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  if (config.http) {
    await serveHttp(config, config.http);
    return;
  }

  const client = createHandshakeClient({
    baseUrl: config.url,
    session: config.sessionToken,
    signer: { keyId: config.keyId, privateKey: config.privateKey },
  });
  const server = new McpServer(
    { name: 'paypal-handshake', version: '0.1.0' },
    { instructions: INSTRUCTIONS },
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
