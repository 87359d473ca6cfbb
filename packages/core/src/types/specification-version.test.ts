import { describe, expect, it } from 'vitest';
import {
  type AuditSinkV1,
  answerInterrupted,
  cachedExchangeRates,
  createHandshake,
  type HandshakeOptions,
  humanApprover,
  MemoryStore,
  memoryAuditSink,
  simulatedExchangeRates,
  staticKeyResolver,
  staticSessionVerifier,
  type ToolProviderV1,
  UnsupportedSpecificationVersionError,
} from '../index.js';
import {
  instrumentStore,
  instrumentToolProvider,
  observePendingApprovals,
} from '../opentelemetry/index.js';

const tools: ToolProviderV1 = {
  specificationVersion: 'v1',
  listTools: () => [{ name: 'get_rate', description: 'Read a rate', tier: 'PUBLIC' }],
  execute: () => ({ rate: '1.08' }),
};

const otherTools: ToolProviderV1 = {
  specificationVersion: 'v1',
  listTools: () => [{ name: 'get_fee', description: 'Read a fee', tier: 'PUBLIC' }],
  execute: () => ({ fee: '0.10' }),
};

/** The same provider, declaring another specification version (or none). */
function declaring<T extends object>(provider: T, version: unknown): T {
  if ((provider as { specificationVersion?: unknown }).specificationVersion === version) {
    return provider;
  }
  const copy = Object.create(provider) as T;
  Object.defineProperty(copy, 'specificationVersion', { value: version });
  return copy;
}

function refusal(run: () => unknown): UnsupportedSpecificationVersionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UnsupportedSpecificationVersionError);
    return error as UnsupportedSpecificationVersionError;
  }
  throw new Error('expected an UnsupportedSpecificationVersionError');
}

describe('UnsupportedSpecificationVersionError', () => {
  it('names the kind of provider, the version it declares and the versions supported', () => {
    const error = new UnsupportedSpecificationVersionError({
      kind: 'store',
      version: 'v2',
      supportedVersions: ['v1'],
    });
    expect(error).toBeInstanceOf(TypeError);
    expect(error.name).toBe('UnsupportedSpecificationVersionError');
    expect(error.message).toBe(
      'Unsupported specification version "v2" of the store: this release of Handshake supports specification version "v1" only',
    );
    expect({
      kind: error.kind,
      version: error.version,
      supported: error.supportedVersions,
    }).toEqual({ kind: 'store', version: 'v2', supported: ['v1'] });
  });

  it('says so when a provider declares no version, and shows a version that is no string by its type', () => {
    expect(
      new UnsupportedSpecificationVersionError({
        kind: 'audit sink',
        version: undefined,
        supportedVersions: ['v1'],
      }).message,
    ).toBe(
      'The audit sink declares no specificationVersion: this release of Handshake supports specification version "v1" only',
    );
    expect(
      new UnsupportedSpecificationVersionError({
        kind: 'store',
        version: 2,
        supportedVersions: ['v1'],
      }).message,
    ).toContain('Unsupported specification version of type number of the store');
    expect(
      new UnsupportedSpecificationVersionError({
        kind: 'store',
        version: 'v3',
        supportedVersions: ['v1', 'v2'],
      }).message,
    ).toBe(
      'Unsupported specification version "v3" of the store: this release of Handshake supports specification versions "v1", "v2" only',
    );
  });

  it('check() returns a provider of a supported version, or nothing when none is given', () => {
    const store = new MemoryStore();
    expect(UnsupportedSpecificationVersionError.check('store', store)).toBe(store);
    expect(UnsupportedSpecificationVersionError.check('store', undefined)).toBeUndefined();
    const v2 = declaring(store, 'v2');
    expect(UnsupportedSpecificationVersionError.check('store', v2, ['v1', 'v2'])).toBe(v2);
  });
});

describe('createHandshake refuses a provider of an unknown specification version', () => {
  const providers: [string, (version: unknown) => Partial<HandshakeOptions>][] = [
    ['tool provider', (version) => ({ tools: [tools, declaring(otherTools, version)] })],
    ['store', (version) => ({ store: declaring(new MemoryStore(), version) })],
    [
      'session verifier',
      (version) => ({ sessions: declaring(staticSessionVerifier({ s: 'alice' }), version) }),
    ],
    ['key resolver', (version) => ({ keys: declaring(staticKeyResolver([]), version) })],
    [
      'approver',
      (version) => ({
        approver: declaring(humanApprover(), version),
      }),
    ],
    [
      'audit sink',
      (version) => ({
        audit: [memoryAuditSink(), declaring<AuditSinkV1>(memoryAuditSink(), version)],
      }),
    ],
    ['observer', (version) => ({ observer: { specificationVersion: version as 'v1' } })],
    [
      'exchange rate provider',
      (version) => ({ exchangeRates: declaring(simulatedExchangeRates(), version) }),
    ],
  ];

  it.each(providers)('a %s declaring "v2" or no version', (kind, options) => {
    for (const version of ['v2', undefined]) {
      const error = refusal(() => createHandshake({ tools, ...options(version) }));
      expect({ kind: error.kind, version: error.version }).toEqual({ kind, version });
      expect(error.supportedVersions).toEqual(['v1']);
      const declared =
        version === undefined
          ? `The ${kind} declares no specificationVersion`
          : `Unsupported specification version "v2" of the ${kind}`;
      expect(error.message).toBe(
        `${declared}: this release of Handshake supports specification version "v1" only`,
      );
    }
  });

  it.each(providers)('a %s declaring "v1" is accepted', async (_kind, options) => {
    const engine = createHandshake({ tools, ...options('v1') });
    expect((await engine.listTools()).map((tool) => tool.name)).toContain('get_rate');
    await engine.close();
  });
});

describe('wrappers refuse what they would pass on as v1', () => {
  it('instrumentStore, observePendingApprovals and answerInterrupted check the store', () => {
    const store = declaring(new MemoryStore(), 'v2');
    expect(refusal(() => instrumentStore(store, { name: 'memory' })).kind).toBe('store');
    expect(refusal(() => observePendingApprovals(store)).kind).toBe('store');
    expect(refusal(() => answerInterrupted(store, [])).kind).toBe('store');
    expect(instrumentStore(new MemoryStore(), { name: 'memory' }).specificationVersion).toBe('v1');
  });

  it('instrumentToolProvider checks the tool provider', () => {
    expect(refusal(() => instrumentToolProvider(declaring(tools, 'v2'))).kind).toBe(
      'tool provider',
    );
    expect(instrumentToolProvider(tools).specificationVersion).toBe('v1');
  });

  it('cachedExchangeRates checks the provider it caches', () => {
    const error = refusal(() => cachedExchangeRates(declaring(simulatedExchangeRates(), 'v0')));
    expect({ kind: error.kind, version: error.version }).toEqual({
      kind: 'exchange rate provider',
      version: 'v0',
    });
    expect(cachedExchangeRates(simulatedExchangeRates()).specificationVersion).toBe('v1');
  });
});
