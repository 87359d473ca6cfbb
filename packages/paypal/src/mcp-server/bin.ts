// The `handshake-paypal-mcp` command. Over stdio, stdout carries protocol messages only:
// anything a dependency prints with console.log/info/debug goes to stderr instead. The
// guard is set here, before the server and its dependencies load (a bundle evaluates
// its static imports before its own code, and drops side-effect-only imports of this
// package), and the server is loaded only then.
console.log = console.error;
console.info = console.error;
console.debug = console.error;

import('./main.js').catch((error: unknown) => {
  process.stderr.write(
    `handshake-paypal-mcp: stopped: ${error instanceof Error ? error.message : 'unexpected error'}\n`,
  );
  process.exit(1);
});
