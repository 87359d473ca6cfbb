/** Per owner (a connection) and key: the tail of the work queued on that key. */
const lanes = new WeakMap<object, Map<string, Promise<unknown>>>();

/**
 * Runs `work` after the work queued before it on the same key through the same owner.
 * Racing calls of one instance on one item then take turns instead of refusing each
 * other's conditional writes round after round; other instances are still met by the
 * conditions, which stay the only guarantee. `onIdle` runs when the key's queue empties.
 */
export function inLane<T>(
  owner: object,
  key: string,
  work: () => Promise<T>,
  onIdle?: () => void,
): Promise<T> {
  let byKey = lanes.get(owner);
  if (!byKey) {
    byKey = new Map();
    lanes.set(owner, byKey);
  }
  const run = (byKey.get(key) ?? Promise.resolve()).then(work);
  const tail = run.then(
    () => {},
    () => {},
  );
  byKey.set(key, tail);
  void tail.then(() => {
    if (byKey.get(key) !== tail) return;
    byKey.delete(key);
    onIdle?.();
  });
  return run;
}
