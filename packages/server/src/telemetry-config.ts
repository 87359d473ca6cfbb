import type { LevelWithSilent } from 'pino';
import { ConfigError } from './config.js';
import { LOG_LEVELS } from './logging.js';
import type { TelemetryConfig } from './telemetry.js';

/**
 * `HANDSHAKE_METRICS_PORT` (off when unset), `HANDSHAKE_METRICS_HOST` (default
 * `127.0.0.1`: metrics never leave the machine unless asked), OTLP traces when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, and
 * `OTEL_SERVICE_NAME` (default `handshake`).
 */
export function loadTelemetryConfig(env: NodeJS.ProcessEnv): TelemetryConfig {
  const portText = env.HANDSHAKE_METRICS_PORT ?? '';
  if (portText !== '' && (!/^\d{1,5}$/.test(portText) || Number(portText) > 65_535)) {
    throw new ConfigError('HANDSHAKE_METRICS_PORT', 'must be a port number from 0 to 65535');
  }
  const host = env.HANDSHAKE_METRICS_HOST || '127.0.0.1';
  if (!/^[A-Za-z0-9.:-]{1,253}$/.test(host)) {
    throw new ConfigError('HANDSHAKE_METRICS_HOST', 'must be a host name or an IP address');
  }
  return {
    metricsPort: portText === '' ? undefined : Number(portText),
    metricsHost: host,
    otlpTraces: Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
    serviceName: env.OTEL_SERVICE_NAME || 'handshake',
  };
}

/** `HANDSHAKE_LOG_LEVEL`: fatal, error, warn, info (default), debug, trace or silent. */
export function loadLogLevel(env: NodeJS.ProcessEnv): LevelWithSilent {
  const level = env.HANDSHAKE_LOG_LEVEL || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError('HANDSHAKE_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return level as LevelWithSilent;
}
