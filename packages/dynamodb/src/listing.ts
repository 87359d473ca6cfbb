import type { ApprovalRecord, ApprovalStatus } from '@handshake/core';
import { decodeApproval } from './approvals.js';
import { type Connection, S } from './connection.js';
import { APPROVALS_INDEX, statusKey } from './table.js';

/** Every status an approval can be listed under, for listings without a status. */
const STATUSES: readonly ApprovalStatus[] = [
  'pending',
  'approved',
  'denied',
  'expired',
  'withdrawn',
];

/**
 * Approvals across users, newest first: one query of the `approvals-by-status` index per
 * status (its partition), newest first, merged. The index is eventually consistent on
 * DynamoDB: an approval created or decided a moment ago may be listed a moment later.
 */
export async function listApprovals(
  db: Connection,
  filter: { status?: ApprovalStatus; limit: number },
): Promise<readonly ApprovalRecord[]> {
  const statuses = filter.status ? [filter.status] : STATUSES;
  const pages = await Promise.all(
    statuses.map((status) =>
      db.query({
        IndexName: APPROVALS_INDEX,
        KeyConditionExpression: 'gpk = :gpk',
        ExpressionAttributeValues: { ':gpk': S(statusKey(status)) },
        ScanIndexForward: false,
        Limit: filter.limit,
      }),
    ),
  );
  return pages
    .flat()
    .map(decodeApproval)
    .sort((a, b) => b.createdAt - a.createdAt)
    .slice(0, filter.limit);
}
