import { createHandshakeClient } from '@handshake/client';
import {
  createHandshake,
  createHandshakeHandler,
  staticKeyResolver,
  staticSessionVerifier,
} from '@handshake/core';
import { serve } from '@handshake/core/node';
import { generateSigningKey } from '@handshake/protocol';

const key = generateSigningKey(); // the agent's Ed25519 key; the service knows the public half
const engine = createHandshake({
  tools: {
    specificationVersion: 'v1',
    listTools: () => [{ name: 'get_balance', description: 'Read the balance', tier: 'INTERNAL' }],
    execute: () => ({ balance: { value: '250.00', currency: 'USD' } }),
  },
  sessions: staticSessionVerifier({ 'session-of-alice': 'alice' }),
  keys: staticKeyResolver([{ userId: 'alice', keyId: 'agent-key', publicKey: key.publicKey }]),
});
const server = await serve(createHandshakeHandler(engine), { port: 0 });
const agent = createHandshakeClient({
  baseUrl: server.url,
  session: 'session-of-alice',
  signer: { keyId: 'agent-key', privateKey: key.privateKey },
});
console.log(await agent.call('get_balance', {})); // authorize, sign, execute
await server.close();
