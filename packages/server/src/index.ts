// The reference service as a library, for a service of your own that embeds it. The
// `handshake-server` command (src/main.ts) runs the same service from the environment.
export { ConfigError, loadConfig, type ServiceConfig } from './config.js';
export { CONSOLE_CSP, type ConsoleOptions, consoleRoutes } from './console.js';
export { exchangeRateTool } from './demo-tools.js';
export { createService, type Service, type ServiceOverrides } from './service.js';
