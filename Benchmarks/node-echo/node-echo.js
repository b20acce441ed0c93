'use strict';
// node-echo: the Node.js baseline for net-bench, an echo server on Node's
// `net` module using socket.pipe(socket).
//
//   node node-echo.js [--port N] [--host H] [--path P]
//                     [--echo pipe|data | --http | --proxy-to HOST:PORT]
//
// --echo data echoes with socket.on('data', d => socket.write(d)) instead of
// pipe; --http answers HTTP/1.1 keep-alive requests on plain `net` (see
// http-responder.js); --proxy-to proxies every connection to HOST:PORT.
//
// Prints exactly one line, "listening HOST:PORT" or "listening PATH", once
// bound, and exits 0 on SIGINT/SIGTERM (closing the server removes the
// socket file).
const net = require('node:net');
const fs = require('node:fs');

let port = 0;
let host = '127.0.0.1';
let path = null;
let echo = 'pipe';
let http = false;
let proxyTo = null;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 2) {
  if (args[i] === '--http') { http = true; i -= 1; continue; }
  const value = args[i + 1];
  if (value === undefined) usage();
  switch (args[i]) {
    case '--port': port = Number(value); break;
    case '--host': host = value; break;
    case '--path': path = value; break;
    case '--echo': echo = value; break;
    case '--proxy-to': proxyTo = parseTarget(value); break;
    default: usage();
  }
}
if (echo !== 'pipe' && echo !== 'data') usage();
if ((echo === 'data') + http + (proxyTo !== null) > 1) usage();

function usage() {
  process.stderr.write('usage: node node-echo.js [--port N] [--host H] [--path P] '
    + '[--echo pipe|data | --http | --proxy-to HOST:PORT]\n');
  process.exit(2);
}

function parseTarget(text) {
  const colon = text.lastIndexOf(':');
  const targetPort = Number(text.slice(colon + 1));
  const targetHost = text.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  if (colon <= 0 || !Number.isInteger(targetPort) || targetPort < 1 || targetPort > 65535) usage();
  return { host: targetHost, port: targetPort };
}

// Both sides half-open, so an end travels through as the client sent it (pipe ends the other
// side once everything before it is written); an error on either side destroys both, and so does
// a close that left the other side unended.
function proxy(client) {
  const upstream = net.connect({ port: proxyTo.port, host: proxyTo.host, allowHalfOpen: true });
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => { if (!upstream.writableEnded) upstream.destroy(); });
  upstream.on('close', () => { if (!client.writableEnded) client.destroy(); });
}

const respond = http ? require('./http-responder.js').serve : null;

const server = net.createServer({ allowHalfOpen: proxyTo !== null }, (socket) => {
  if (path === null && proxyTo === null) socket.setNoDelay(true);
  // A peer reset must not take the server down.
  socket.on('error', () => socket.destroy());
  if (proxyTo !== null) proxy(socket);
  else if (respond !== null) respond(socket);
  else if (echo === 'data') socket.on('data', (d) => socket.write(d));
  else socket.pipe(socket);
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
