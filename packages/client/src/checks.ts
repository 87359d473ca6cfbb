// Checks of numeric options, shared by the waits and the spend client's inputs. A bad
// value is a misconfiguration, so it is a `TypeError`, not a `HandshakeError`.

/** A positive finite number, or a `TypeError` naming the option. */
export function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive number`);
  }
  return value;
}

/** A finite number of zero or more, or a `TypeError` naming the option. */
export function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must not be negative`);
  return value;
}
