'use strict';
// node-echo: the Node.js baseline for net-bench, an echo server on Node's
// `net` module using socket.pipe(socket).
//
//   node node-echo.js [--port N] [--host H] [--path P]
//
// Prints exactly one line, "listening HOST:PORT" or "listening PATH", once
// bound, and exits 0 on SIGINT/SIGTERM (closing the server removes the
// socket file).
const net = require('node:net');
const fs = require('node:fs');

let port = 0;
let host = '127.0.0.1';
let path = null;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 2) {
  const value = args[i + 1];
  if (value === undefined) usage();
  switch (args[i]) {
    case '--port': port = Number(value); break;
    case '--host': host = value; break;
    case '--path': path = value; break;
    default: usage();
  }
}

function usage() {
  process.stderr.write('usage: node node-echo.js [--port N] [--host H] [--path P]\n');
  process.exit(2);
}

const server = net.createServer((socket) => {
  if (path === null) socket.setNoDelay(true);
  // A peer reset must not take the server down.
  socket.on('error', () => socket.destroy());
  socket.pipe(socket);
});

server.on('error', (err) => {
  process.stderr.write(`node-echo: ${err.message}\n`);
  process.exit(1);
});

function onListening() {
  const address = server.address();
  const line = typeof address === 'string'
    ? `listening ${address}\n`
    : `listening ${address.address}:${address.port}\n`;
  // Synchronous write: stdout may be a pipe the driver is reading.
  fs.writeSync(1, line);
}

if (path !== null) {
  server.listen(path, onListening);
} else {
  server.listen(port, host, onListening);
}

function stop() {
  server.close();
  if (path !== null) {
    try { fs.unlinkSync(path); } catch { /* already removed by close() */ }
  }
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
