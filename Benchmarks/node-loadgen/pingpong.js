// pingpong.js: the ping-pong client of net-bench in Node's `net` (as Benchmarks/loadgen
// --scenario pingpong does it in C).
//
//   node pingpong.js --scenario pingpong (--host H --port N | --path P)
//        [--connections N] [--size B] [--warmup S] [--duration S] [--timeout S]
//
// N connections each send a --size byte message filled with one tag byte (the message's
// number modulo 256) and wait for its whole echo, checked byte for byte, before sending the
// next. Prints `start` when the warm-up ends and one `result key=value ...` line (loadgen.c's
// format) when the window ends, then closes its connections.
'use strict';
const net = require('net');

const options = { scenario: null, host: '127.0.0.1', port: 0, path: null, connections: 10,
  size: 64, warmup: 1, duration: 5, timeout: 60 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const key = argv[i].replace(/^--/, '');
  if (!(key in options) || i + 1 >= argv.length) {
    process.stderr.write(`pingpong.js: bad option ${argv[i]}\n`);
    process.exit(2);
  }
  options[key] = typeof options[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
}
if (options.scenario !== 'pingpong' || (!options.path && !(options.port > 0)) ||
    !(options.size >= 1 && options.size <= 64)) {
  process.stderr.write('usage: node pingpong.js --scenario pingpong (--host H --port N | --path P) ...\n');
  process.exit(2);
}

// Log-linear histogram with loadgen's buckets (histogram.h): exact below 256 ns, then 128
// buckets per power of two.
const SUB_BITS = 8, HALF = 1 << (SUB_BITS - 1), BUCKETS = (64 - SUB_BITS + 2) * HALF;
const counts = new Float64Array(BUCKETS);
let total = 0, max = 0;
function bucket(v) {
  if (v < (1 << SUB_BITS)) return v;
  const msb = v < 2 ** 32 ? 31 - Math.clz32(v) : 32 + 31 - Math.clz32(Math.floor(v / 2 ** 32));
  const shift = msb - (SUB_BITS - 1);
  return shift * HALF + Math.floor(v / 2 ** shift);
}
function bucketValue(i) {
  if (i < (1 << SUB_BITS)) return i;
  const shift = Math.floor(i / HALF) - 1;
  return (i % HALF + HALF + 1) * 2 ** shift - 1;
}
function record(ns) {
  counts[bucket(ns)]++;
  total++;
  if (ns > max) max = ns;
}
function percentile(p) {
  if (total === 0) return 0;
  const rank = Math.max(1, Math.floor(p / 100 * total + 0.5));
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += counts[i];
    if (seen >= rank) return Math.min(bucketValue(i), max);
  }
  return max;
}

const messages = [];
for (let t = 0; t < 256; t++) messages.push(Buffer.alloc(options.size, t));
const transport = options.path ? 'unix' : 'tcp';
const hrNow = () => Number(process.hrtime.bigint());

let phase = 'warmup';
let roundTrips = 0, errors = 0, corrupt = 0;
let windowStart = 0, cpuStart = null;
const sockets = [];

function start() {
  const socket = options.path ? net.connect(options.path) : net.connect(options.port, options.host);
  const c = { socket, sent: 0, tag: 0, received: 0, started: 0 };
  sockets.push(socket);
  if (!options.path) socket.setNoDelay(true);
  socket.on('connect', () => send(c));
  socket.on('data', (chunk) => echoed(c, chunk));
  socket.on('error', () => { if (phase !== 'done') errors++; });
}

function send(c) {
  c.tag = c.sent & 255;
  c.sent++;
  c.received = 0;
  c.started = hrNow();
  c.socket.write(messages[c.tag]);
}

function echoed(c, chunk) {
  const end = c.received + chunk.length;
  if (end > options.size || !chunk.equals(messages[c.tag].subarray(c.received, end))) {
    corrupt++;
    if (phase !== 'done') errors++;
    c.socket.destroy();
    return;
  }
  c.received = end;
  if (end < options.size) return;
  if (phase === 'measure') {
    roundTrips++;
    record(hrNow() - c.started);
  }
  if (phase !== 'done') send(c);
}

function cpuSeconds(u) { return (u.user + u.system) / 1e6; }

function finish() {
  const elapsed = (hrNow() - windowStart) / 1e9;
  const cpu = cpuSeconds(process.cpuUsage()) - cpuSeconds(cpuStart);
  const us = (ns) => (ns / 1e3).toFixed(2);
  process.stdout.write(`result scenario=pingpong transport=${transport} connections=${options.connections}` +
    ` duration_s=${elapsed.toFixed(4)} size=${options.size} round_trips=${roundTrips}` +
    ` rtt_per_s=${(roundTrips / elapsed).toFixed(1)}` +
    ` p50_us=${us(percentile(50))} p99_us=${us(percentile(99))} p999_us=${us(percentile(99.9))}` +
    ` max_us=${us(max)} client_cpu_pct=${(100 * cpu / elapsed).toFixed(1)}` +
    ` errors=${errors} corrupt=${corrupt}\n`);
}

function closeEverything() {
  if (phase === 'done') return;
  phase = 'done';
  clearTimeout(deadline);
  for (const s of sockets) s.destroy();
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
}

setTimeout(() => {
  phase = 'measure';
  roundTrips = errors = corrupt = 0;
  counts.fill(0);
  total = max = 0;
  cpuStart = process.cpuUsage();
  process.stdout.write('start\n');
  windowStart = hrNow();
  setTimeout(() => { finish(); closeEverything(); }, options.duration * 1000);
}, options.warmup * 1000);
const deadline = setTimeout(() => {
  process.stderr.write(`pingpong.js: no result within --timeout ${options.timeout} s\n`);
  process.stdout.write(`result scenario=pingpong transport=${transport} timeout=1 errors=${errors} ready=0\n`);
  process.exit(1);
}, (options.warmup + options.duration + options.timeout) * 1000);
deadline.unref();
process.on('SIGINT', closeEverything);
process.on('SIGTERM', closeEverything);
for (let i = 0; i < options.connections; i++) start();
