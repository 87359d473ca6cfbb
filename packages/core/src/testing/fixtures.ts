import type { ApprovalRecord, TransactionRecord } from '../store/records.js';
import type {
  AuthorizeOp,
  ConsumeOp,
  ReservationRequest,
  ReservationWindow,
  StoreV1,
} from '../store/store-v1.js';

// Records and operations the conformance suite builds; every test uses fresh ids.

export const T0 = Date.parse('2026-03-02T10:00:00Z');
let counter = 0;
export const unique = (prefix: string) => {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}${Math.random().toString(36).slice(2, 8)}`;
};
export const hex = (seed: string) => {
  let out = '';
  for (let i = 0; out.length < 64; i += 1)
    out += ((seed.charCodeAt(i % seed.length) * (i + 7)) % 16).toString(16);
  return out.slice(0, 64);
};

export function record(
  partition: string,
  overrides: Partial<TransactionRecord> = {},
): TransactionRecord {
  return {
    transactionId: unique('tx_'),
    userId: `user-${partition}`,
    sessionId: 's:1',
    tool: 'create_refund',
    tier: 'CONFIDENTIAL',
    paramsHash: 'a'.repeat(64),
    expiresAt: T0 + 30_000,
    createdAt: T0,
    ...overrides,
  };
}

export function approvalOf(
  rec: TransactionRecord,
  overrides: Partial<ApprovalRecord> = {},
): ApprovalRecord {
  return {
    approvalId: unique('apr_'),
    transactionId: rec.transactionId,
    userId: rec.userId,
    sessionId: rec.sessionId,
    tool: rec.tool,
    tier: rec.tier,
    paramsHash: rec.paramsHash,
    parameters: { amount: '1.00' },
    status: 'pending',
    reasons: [{ kind: 'tier' }],
    createdAt: T0,
    expiresAt: T0 + 300_000,
    version: 1,
    ...overrides,
  };
}

export function daily(limitMinor: bigint): ReservationWindow {
  return {
    window: 'daily',
    key: 'daily:2026-03-02',
    limitMinor,
    endsAt: Date.parse('2026-03-03T00:00:00Z'),
  };
}

export function op(
  partition: string,
  overrides: Partial<AuthorizeOp> & { digest?: string; record?: TransactionRecord } = {},
): AuthorizeOp {
  const rec = overrides.record ?? record(partition);
  const { digest, record: _r, ...rest } = overrides;
  return {
    partition,
    userId: rec.userId,
    now: T0,
    requiresApproval: false,
    token: { digest: digest ?? hex(unique('d')), record: rec },
    approval: approvalOf(rec),
    retainMs: 600_000,
    ...rest,
  };
}

export function reservation(
  amountMinor: bigint,
  limitMinor: bigint,
  extra: Partial<ReservationRequest> = {},
): ReservationRequest {
  return {
    reservationId: unique('r_'),
    amountMinor,
    windows: [daily(limitMinor)],
    holdUntil: T0 + 60_000,
    ...extra,
  };
}

/** The consume of `o`'s token by the session that authorized it, at `T0 + 1` unless `overrides` say otherwise. */
export function consumeOf(o: AuthorizeOp, overrides: Partial<ConsumeOp> = {}): ConsumeOp {
  return {
    partition: o.partition,
    digest: o.token.digest,
    now: T0 + 1,
    expect: { userId: o.userId, tool: o.token.record.tool, paramsHash: o.token.record.paramsHash },
    sessionId: 's:1',
    retainMs: 600_000,
    ...overrides,
  };
}

/** What a user has spent or reserved in the {@link daily} window, as the store counts it at `now`. */
export async function dailyUsed(
  store: StoreV1,
  at: { partition: string; userId: string; now: number; limitMinor: bigint },
): Promise<bigint | undefined> {
  const usage = await store.reservationUsage({
    partition: at.partition,
    userId: at.userId,
    now: at.now,
    windows: [daily(at.limitMinor)],
  });
  return usage.used['daily:2026-03-02'];
}
