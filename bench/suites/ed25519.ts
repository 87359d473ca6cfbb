import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import {
  ed25519PublicKey,
  executeSigningPayload,
  signExecute,
  verifyExecuteSignature,
} from '@handshake/protocol';
import { ed25519 } from '@noble/curves/ed25519.js';
import { do_not_optimize } from 'mitata';
import { verifyEd25519 } from '../../packages/protocol/src/signing/ed25519.js';
import { SIGNING_SEED } from '../lib/fixtures.js';
import { time } from '../lib/measure.js';
import { duration, printTable, times } from '../lib/report.js';

/**
 * (3) Ed25519 verification of an execute signature: @noble/curves against Web Crypto
 * and node:crypto, and the path core takes (Web Crypto where the runtime has it).
 */
export async function ed25519Suite(): Promise<void> {
  const input = {
    tool: 'create_refund',
    paramsHash: 'a3f1'.repeat(16),
    transactionId: 'tx_BwcHBwcHBwcHBwcHBwcHBw',
  };
  const value = signExecute(SIGNING_SEED, input);
  const signature = Uint8Array.from(Buffer.from(value, 'base64url'));
  const publicKey = Uint8Array.from(Buffer.from(ed25519PublicKey(SIGNING_SEED), 'base64url'));
  const message = new Uint8Array(executeSigningPayload(input));
  const cryptoKey = await crypto.subtle.importKey(
    'raw',
    new Uint8Array(publicKey),
    'Ed25519',
    false,
    ['verify'],
  );
  const keyObject = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });

  const noble = await time(() => do_not_optimize(ed25519.verify(signature, message, publicKey)));
  const rows: Array<[string, number, string]> = [
    ['@noble/curves `ed25519.verify` (core before)', noble.avg, 'JavaScript, cofactored'],
  ];
  const add = async (label: string, fn: () => unknown, how: string) => {
    rows.push([label, (await time(fn)).avg, how]);
  };
  await add(
    'core portable path (@noble/curves points)',
    () => verifyEd25519(publicKey, signature, message, 'portable'),
    'JavaScript, strict rule',
  );
  await add(
    'Web Crypto `crypto.subtle.verify`',
    () => crypto.subtle.verify('Ed25519', cryptoKey, signature, message),
    'native (OpenSSL), async',
  );
  await add(
    'node:crypto `verify`',
    () => do_not_optimize(nodeVerify(null, message, keyObject, signature)),
    'native (OpenSSL), sync',
  );
  await add(
    'core Web Crypto path',
    () => verifyEd25519(publicKey, signature, message, 'webcrypto'),
    'strict pre-checks + Web Crypto',
  );
  await add(
    'core node:crypto path',
    () => verifyEd25519(publicKey, signature, message, 'native'),
    'strict pre-checks + node:crypto',
  );
  await add(
    'core `verifyExecuteSignature` (default path)',
    () => verifyExecuteSignature(publicKey, value, input),
    'decode + payload + node:crypto',
  );
  printTable({
    title: '3. Ed25519 verify of an execute signature',
    columns: ['implementation', 'per verify', 'relative to @noble/curves', 'what runs'],
    rows: rows.map(([label, ns, how]) => [label, duration(ns), times(ns / noble.avg), how]),
    notes: [
      'Mean time per verification, one at a time. Core verifies with node:crypto where the',
      'runtime has it (Node, Deno, Bun), with Web Crypto where `crypto.subtle` supports',
      'Ed25519 (current browsers), and keeps @noble/curves as the portable path; all give',
      'the same verdicts (test-vectors/ed25519.cctv.test.ts: all 914 C2SP/CCTV edge cases,',
      'RFC 8032 vectors, fuzzing).',
    ],
  });
}
