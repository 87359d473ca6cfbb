/**
 * Thrown where a provider is accepted (`createHandshake`, `spendTools`, an instrumenting
 * wrapper, …) when the provider implements a specification version this release of
 * Handshake does not know, or declares none: its methods may mean something else than
 * the engine expects, so it is refused before it is used. The message names the kind
 * of provider, the version it declares and the versions supported.
 *
 * An adapter that accepts providers of its own checks them with
 * {@link UnsupportedSpecificationVersionError.check}.
 *
 * @example
 * ```ts
 * import {
 *   createHandshake,
 *   type ToolProviderV1,
 *   UnsupportedSpecificationVersionError,
 * } from '@handshake/core';
 * declare const tools: ToolProviderV1;
 *
 * try {
 *   createHandshake({ tools });
 * } catch (error) {
 *   if (error instanceof UnsupportedSpecificationVersionError) {
 *     console.error(error.kind, error.version, error.supportedVersions);
 *   }
 *   throw error;
 * }
 * ```
 */
export class UnsupportedSpecificationVersionError extends TypeError {
  override readonly name = 'UnsupportedSpecificationVersionError';
  /** The kind of provider refused, e.g. `store` or `card issuer`. */
  readonly kind: string;
  /** The `specificationVersion` the provider declares; `undefined` when it declares none. */
  readonly version: unknown;
  /** The versions of this kind of provider that this release supports. */
  readonly supportedVersions: readonly string[];

  constructor(options: {
    kind: string;
    version: unknown;
    supportedVersions: readonly string[];
  }) {
    const supported = options.supportedVersions.map((version) => `"${version}"`).join(', ');
    const given =
      options.version === undefined
        ? `The ${options.kind} declares no specificationVersion`
        : `Unsupported specification version ${shown(options.version)} of the ${options.kind}`;
    super(
      `${given}: this release of Handshake supports specification ${options.supportedVersions.length === 1 ? 'version' : 'versions'} ${supported} only`,
    );
    this.kind = options.kind;
    this.version = options.version;
    this.supportedVersions = options.supportedVersions;
  }

  /**
   * Returns `value` when it is absent or declares one of `supportedVersions`; throws an
   * `UnsupportedSpecificationVersionError` naming the provider's `kind` otherwise.
   *
   * @example
   * ```ts
   * import { type KeyResolverV1, UnsupportedSpecificationVersionError } from '@handshake/core';
   * declare const keys: KeyResolverV1;
   *
   * const checked = UnsupportedSpecificationVersionError.check('key resolver', keys);
   * ```
   */
  static check<T extends { readonly specificationVersion?: unknown } | undefined>(
    kind: string,
    value: T,
    supportedVersions: readonly string[] = ['v1'],
  ): T {
    if (value === undefined) return value;
    const version = (value as { readonly specificationVersion?: unknown }).specificationVersion;
    if (typeof version === 'string' && supportedVersions.includes(version)) return value;
    throw new UnsupportedSpecificationVersionError({ kind, version, supportedVersions });
  }
}

/** A declared version as the message shows it: a string quoted, anything else by its type. */
function shown(version: unknown): string {
  return typeof version === 'string'
    ? JSON.stringify(version.slice(0, 40))
    : `of type ${typeof version}`;
}
