import { spendApiRoutes, spendTools } from '@handshake/cards';
import { simulatedCardIssuer } from '@handshake/cards/testing';
import { createHandshakeClient, HandshakeError } from '@handshake/client';
import {
  createHandshake,
  createHandshakeHandler,
  staticKeyResolver,
  staticSessionVerifier,
} from '@handshake/core';
import { serve } from '@handshake/core/node';
import { generateSigningKey } from '@handshake/protocol';
import { describe, expect, it } from 'vitest';
import { allowListIssuer } from './allow-list-issuer.js';

describe('allowListIssuer behind the spend API', () => {
  it('issues cards for listed merchants only, and reports the last four digits', async () => {
    const issued: string[] = [];
    const tools = spendTools({
      issuer: allowListIssuer({
        issuer: simulatedCardIssuer(),
        merchants: ['Example Books'],
        onIssued: (card) => issued.push(`${card.merchant}:${card.last4}`),
      }),
    });
    const key = generateSigningKey();
    const engine = createHandshake({
      tools: [tools],
      sessions: staticSessionVerifier({ 'session-of-alice': 'alice' }),
      keys: staticKeyResolver([{ userId: 'alice', keyId: 'agent', publicKey: key.publicKey }]),
      limits: { currency: 'USD', daily: '500.00' },
    });
    const server = await serve(
      createHandshakeHandler(engine, { routes: spendApiRoutes(engine, { tools }) }),
      { port: 0 },
    );
    try {
      const agent = createHandshakeClient({
        baseUrl: server.url,
        session: 'session-of-alice',
        signer: { keyId: 'agent', privateKey: key.privateKey },
      });
      const books = await agent.spend.validateTransaction({
        merchant: 'Example Books',
        amount: '30.00',
        currency: 'USD',
      });
      const card = await agent.spend.createVirtualCard(books);
      expect(card.spendingLimit).toBe('30.00');
      expect(issued).toEqual([`Example Books:${card.last4}`]);

      const other = await agent.spend.validateTransaction({
        merchant: 'Elsewhere Ltd',
        amount: '30.00',
        currency: 'USD',
      });
      const refused = await agent.spend.createVirtualCard(other).catch((error: unknown) => error);
      expect(HandshakeError.isInstance(refused) && refused.code).toBe('PROVIDER_ERROR');
      expect(issued).toHaveLength(1);
    } finally {
      await server.close();
      await engine.close();
    }
  });
});
