// OpenTelemetry instrumentation of a card issuer. It needs `@opentelemetry/api` (an
// optional peer dependency of this package) and records into whatever SDK the
// application registered; without one it is a no-op.

export { type CardTelemetryOptions, instrumentCardIssuer } from './card-issuer.js';
