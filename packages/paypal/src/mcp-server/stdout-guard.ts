// Imported first by main.ts: on a stdio MCP server, stdout carries protocol messages
// only. Anything a dependency prints with console.log/info/debug goes to stderr instead.
console.log = console.error;
console.info = console.error;
console.debug = console.error;
