'use strict';
// The HTTP/1.1 keep-alive responder of `node-echo.js --http`, on plain `net`
// (the same work as `net-echo --http`): every request head, up to its blank
// line (requests have no body here), gets one prebuilt response; pipelined
// requests in one read are answered in order; a head split over reads waits
// in a small pending buffer.

const RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, world!');
const HEAD_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);
// A partial head bigger than this is refused (the connection is destroyed).
const LIMIT = 64 * 1024;

function serve(socket) {
  let pending = EMPTY;
  socket.on('data', (chunk) => {
    let bytes = chunk;
    let from = 0;
    if (pending.length > 0) {
      from = Math.max(0, pending.length - 3);
      bytes = Buffer.concat([pending, chunk]);
    }
    let start = 0;
    let end;
    while ((end = bytes.indexOf(HEAD_END, from)) !== -1) {
      socket.write(RESPONSE);
      start = end + 4;
      from = start;
    }
    if (start === bytes.length) {
      pending = EMPTY;
    } else if (bytes.length - start > LIMIT) {
      socket.destroy();
    } else {
      pending = Buffer.from(bytes.subarray(start));
    }
  });
}

module.exports = { serve };
