import { sha256Hex } from '@handshake/protocol';

// How the engine names what it keeps in the store: every key of a user shares the
// user's partition, and an approval's id carries it, so any step can find the partition
// of an approval or of a transaction's reservation from the id alone.

/**
 * A pure function of the user: the partition their keys share in the store.
 *
 * @example
 * ```ts
 * import { partitionOf } from '@handshake/core';
 *
 * const partition = partitionOf('alice'); // 16 hex digits; all of alice's store keys share it
 * ```
 */
export function partitionOf(userId: string): string {
  let partition = partitions.get(userId);
  if (partition === undefined) {
    partition = sha256Hex(`handshake:user:${userId}`).slice(0, 16);
    // Every call of a user asks twice (authorize, execute); a bounded memo saves the hash.
    if (partitions.size >= 10_000) partitions.delete(partitions.keys().next().value!);
    partitions.set(userId, partition);
  }
  return partition;
}

const partitions = new Map<string, string>();

/** An approval's id: its user's partition, then the random part of an approval token. */
export function approvalIdOf(partition: string, approvalToken: string): string {
  return `apr_${partition}_${approvalToken.slice(4)}`;
}

/** The partition an approval id names, or `undefined` when the id is not one of ours. */
export function partitionOfApproval(approvalId: string): string | undefined {
  const match = /^apr_([0-9a-f]{16})_[A-Za-z0-9_-]+$/.exec(approvalId);
  return match?.[1];
}

/** The engine names every reservation after its transaction, so any step can find it. */
export function reservationIdOf(transactionId: string): string {
  return `r_${transactionId}`;
}

/** A client address as a rate-limit bucket: a digest, so no address is written into a key. */
export function clientBucket(address: string): string {
  return sha256Hex(`handshake:client:${address}`).slice(0, 16);
}
