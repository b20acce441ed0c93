/// The Node side of `StreamDifferentialTests`: reads the sequences (JSON, the file named by the
/// last argument), runs each on a fresh loopback socket pair and prints one JSON line per
/// sequence, `{"A": [...], "B": [...]}`. `StreamPairRun` is the same interpreter in Swift; keep
/// the two in step (the same transcript lines, the same settle rule).
enum StreamDifferentialScript {
    static let source = #"""
        const net = require('net'), fs = require('fs');
        // Our Socket follows Node >= 22, whose default high-water mark is 64 KiB (Node 20: 16 KiB).
        require('stream').setDefaultHighWaterMark(false, 65536);
        const input = JSON.parse(fs.readFileSync(process.argv[process.argv.length - 1], 'utf8'));
        const IDLE = 3, LIMIT = 2000;

        function runOne(seq, done) {
          const log = { A: [], B: [] }, sock = { A: null, B: null };
          const st = { A: { rx: 0, text: 0, closed: false }, B: { rx: 0, text: 0, closed: false } };
          let connected = false, events = 0, recording = true, writes = 0;
          const rec = (side, line) => { events++; if (recording) log[side].push(line); };
          const snap = (side) => {
            const s = sock[side], t = st[side];
            return `| rx=${t.rx} text=${t.text} rE=${+s.readableEnded} wE=${+s.writableEnded} ` +
              `wF=${+s.writableFinished} d=${+s.destroyed} ${s.readyState} wl=${s.writableLength}`;
          };
          function attach(side, s) {
            s.on('connect', () => { connected = true; s.setNoDelay(true); rec(side, 'connect'); });
            s.on('ready', () => rec(side, 'ready'));
            // Until 'close' only: our closed socket has dropped its listeners.
            s.on('pause', () => { if (!st[side].closed) rec(side, 'pause'); });
            s.on('resume', () => { if (!st[side].closed) rec(side, 'resume'); });
            s.on('data', (d) => {
              events++;
              if (typeof d === 'string') st[side].text += d.length; else st[side].rx += d.length;
            });
            s.on('end', () => rec(side, `end rx=${st[side].rx} text=${st[side].text}`));
            s.on('finish', () => rec(side, 'finish'));
            s.on('drain', () => rec(side, 'drain'));
            s.on('error', (e) => rec(side, `error ${e.code}`));
            s.on('close', (hadError) => { st[side].closed = true; rec(side, `close ${hadError}`); });
          }
          // Nothing left that must still happen: see `StreamPairRun.quiet`.
          function quiet() {
            if (!sock.A || !sock.B || !connected) return false;
            for (const [x, y] of [['A', 'B'], ['B', 'A']]) {
              const xs = sock[x], ys = sock[y];
              if (xs.destroyed && !st[x].closed) return false;
              const yReads = !ys.destroyed && !ys.isPaused();
              if (yReads && !xs.destroyed && xs.writableCorked === 0 && xs.writableLength > 0) return false;
              if ((xs.writableFinished || st[x].closed) && yReads && !ys.readableEnded) return false;
            }
            return true;
          }
          function settle(next) {
            const start = Date.now();
            let idle = 0, seen = events;
            const check = () => {
              if (events !== seen) { seen = events; idle = 0; } else idle++;
              if (idle >= IDLE && quiet()) return next(true);
              if (Date.now() - start > LIMIT) return next(false);
              setTimeout(check, 1);
            };
            setTimeout(check, 1);
          }
          function apply(i) {
            const step = seq.steps[i], side = step.s, s = sock[side];
            rec(side, `> ${step.op}${step.n ? ' ' + step.n : ''}`);
            switch (step.op) {
              case 'write': case 'writeLarge': {
                const k = writes++;
                const cb = step.cb ? (e) => rec(side, `cb${k} ${e ? e.code : 'ok'}`) : undefined;
                rec(side, `= ${s.write(Buffer.alloc(step.n), cb)}`);
                break;
              }
              case 'cork': s.cork(); break;
              case 'uncork': s.uncork(); break;
              case 'end': s.end(); break;
              case 'endData': s.end(Buffer.alloc(step.n)); break;
              case 'destroy': s.destroy(); break;
              case 'destroyError': { const e = new Error('boom'); e.code = 'ETEST'; s.destroy(e); break; }
              case 'pause': s.pause(); break;
              case 'resume': s.resume(); break;
              case 'setEncoding': s.setEncoding('hex'); break;
              case 'reset': s.resetAndDestroy(); break;
            }
          }
          function marker() { for (const side of ['A', 'B']) rec(side, snap(side)); }
          function step(i, ok) {
            if (!ok) { rec('A', 'settle timeout'); rec('B', 'settle timeout'); return finish(); }
            marker();
            if (i === seq.steps.length) return finish();
            apply(i);
            settle((ok) => step(i + 1, ok));
          }
          function finish() {
            recording = false;
            const live = [sock.A, sock.B].filter((s) => s);
            let left = live.length;
            const timer = setTimeout(() => { left = 0; out(); }, LIMIT);
            const out = () => { clearTimeout(timer); server.close(); done(log); };
            if (left === 0) return out();
            for (const s of live) {
              const side = s === sock.A ? 'A' : 'B';
              if (st[side].closed) { if (--left === 0) out(); continue; }
              s.once('close', () => { if (--left === 0) out(); });
              s.destroy();
            }
          }
          const server = net.createServer({ allowHalfOpen: seq.halfOpenB });
          server.on('connection', (b) => {
            sock.B = b; attach('B', b); b.setNoDelay(true);
            server.close();
          });
          server.listen(0, '127.0.0.1', () => {
            sock.A = net.connect({ port: server.address().port, host: '127.0.0.1', allowHalfOpen: seq.halfOpenA });
            attach('A', sock.A);
            settle((ok) => step(0, ok));
          });
        }

        let index = 0;
        const next = () => {
          if (index === input.length) return;
          runOne(input[index++], (log) => { process.stdout.write(JSON.stringify(log) + '\n'); next(); });
        };
        next();
        """#
}
