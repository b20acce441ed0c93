'use strict';
// node-http: what a Node user normally writes for the http scenario,
// http.createServer answering every request with the same body as
// `node-echo.js --http` ("Hello, world!", text/plain, 13 bytes).
//
//   node node-http.js [--port N] [--host H]
//
// Prints exactly one line, "listening HOST:PORT", once bound, and exits 0 on
// SIGINT/SIGTERM.
const http = require('node:http');
const fs = require('node:fs');

let port = 0;
let host = '127.0.0.1';
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 2) {
  const value = args[i + 1];
  if (value === undefined) usage();
  switch (args[i]) {
    case '--port': port = Number(value); break;
    case '--host': host = value; break;
    default: usage();
  }
}

function usage() {
  process.stderr.write('usage: node node-http.js [--port N] [--host H]\n');
  process.exit(2);
}

const BODY = Buffer.from('Hello, world!');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Length': BODY.length, 'Content-Type': 'text/plain' });
  res.end(BODY);
});

server.on('error', (err) => {
  process.stderr.write(`node-http: ${err.message}\n`);
  process.exit(1);
});

server.listen(port, host, () => {
  const address = server.address();
  // Synchronous write: stdout may be a pipe the driver is reading.
  fs.writeSync(1, `listening ${address.address}:${address.port}\n`);
});

function stop() {
  server.close();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
