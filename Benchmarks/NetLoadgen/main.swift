// net-loadgen: the ping-pong client of net-bench, on swift-net's callback face.
//
//   net-loadgen --scenario pingpong (--host H --port N | --path P)
//               [--connections N] [--size B] [--warmup S] [--duration S] [--timeout S]
//
// N connections each send a --size byte message filled with one tag byte (the message's number
// modulo 256) and wait for its whole echo, checked byte for byte, before sending the next. It
// prints `start` when the warm-up ends and one `result key=value …` line when the window ends,
// in the format of Benchmarks/loadgen/loadgen.c, then closes its connections and exits 0
// (1 when no result could be produced). Messages are 256 prebuilt buffers written as they are;
// echoes arrive as `'data'` buffers and are compared with slices of the expected message, so
// the hot path allocates nothing of its own.
import ArgumentParser
import Net
#if canImport(Glibc)
import Glibc
#endif

struct NetLoadgen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net-loadgen",
        abstract: "The ping-pong load generator of net-bench, written on swift-net (like Benchmarks/loadgen --scenario pingpong).")

    @Option(help: "The scenario; only pingpong.")
    var scenario: String

    @Option(help: "The server's host (an IP address).")
    var host: String = "127.0.0.1"

    @Option(help: "The server's TCP port.")
    var port: Int?

    @Option(help: "The server's Unix domain socket path instead.")
    var path: String?

    @Option(help: "Connections, each with one message in flight.")
    var connections: Int = 10

    @Option(help: "Bytes per message (1...64).")
    var size: Int = 64

    @Option(help: "Seconds of load before the measured window.")
    var warmup: Double = 1

    @Option(help: "Seconds in the measured window.")
    var duration: Double = 5

    @Option(help: "Seconds allowed beyond warm-up and window before giving up.")
    var timeout: Double = 60

    func validate() throws {
        guard scenario == "pingpong" else { throw ValidationError("only --scenario pingpong is supported") }
        guard path != nil || (port ?? 0) > 0 else { throw ValidationError("give --port or --path") }
        guard (1...64).contains(size) else { throw ValidationError("--size must be 1...64") }
        guard connections > 0, duration > 0, warmup >= 0 else { throw ValidationError("bad --connections, --duration or --warmup") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let run = PingPong(self)
        run.begin()
        EventLoop.default.run()
        Glibc.exit(run.produced ? 0 : 1)
    }
}

// Exclusivity: `Client` and `PingPong` live on the loop's thread only, and no access to their
// fields is held across a call (each is a read or a write of its own), so the dynamic checks are
// off for the fields every echo touches, as NetCore does for its own data path: they cost about
// a tenth of this program's instructions per round trip.

/// One connection and its message in flight.
final class Client {
    let socket: Socket
    /// Messages sent so far; the current one's tag is the low byte of its number.
    @exclusivity(unchecked) var sent: UInt64 = 0
    @exclusivity(unchecked) var tag = 0
    /// Bytes of the current echo received so far.
    @exclusivity(unchecked) var received = 0
    @exclusivity(unchecked) var started: UInt64 = 0

    init(socket: Socket) { self.socket = socket }
}

/// The ping-pong run: connections, phases, counters and the result line.
final class PingPong {
    enum Phase { case warmup, measure, done }

    // Plain copies of the options: an `@Option` property is read through its property
    // wrapper's generic storage, far too slow for the path every echo takes.
    let size: Int, connections: Int, warmup: Double, duration: Double, timeout: Double
    let host: String, port: Int, path: String?
    let loop = EventLoop.default
    let messages: [Buffer]
    var clients: [Client] = []
    @exclusivity(unchecked) var phase = Phase.warmup
    @exclusivity(unchecked) var histogram = Histogram()
    @exclusivity(unchecked) var roundTrips: UInt64 = 0
    @exclusivity(unchecked) var errors: UInt64 = 0
    @exclusivity(unchecked) var corrupt: UInt64 = 0
    var windowStart: UInt64 = 0
    var cpuStart = 0.0
    var produced = false
    var deadline: Timeout?
    var signals: [SignalWatcher] = []

    init(_ options: NetLoadgen) {
        (size, connections, warmup, duration, timeout) =
            (options.size, options.connections, options.warmup, options.duration, options.timeout)
        (host, port, path) = (options.host, options.port ?? 0, options.path)
        messages = (0..<256).map { Buffer(count: options.size, fill: UInt8($0)) }
    }

    func begin() {
        let ms = { (seconds: Double) in UInt64((seconds * 1000).rounded()) }
        loop.setTimeout(ms(warmup)) { [self] in
            startWindow()
            loop.setTimeout(ms(duration)) { [self] in
                finishWindow()
                closeEverything()
            }
        }
        let deadline = Timeout(loop: loop) { [self] in
            FileHandleOutput.write("net-loadgen: no result within --timeout \(Int(timeout)) s\n", fd: 2)
            FileHandleOutput.write("result scenario=pingpong transport=\(transport) timeout=1 errors=\(errors) ready=0\n", fd: 1)
            exit(1)
        }
        deadline.unref()
        deadline.start(timeout: ms(warmup + duration + timeout))
        self.deadline = deadline
        signals = [SIGINT, SIGTERM].map { SignalWatcher($0, loop: loop) { [self] in closeEverything() } }
        for _ in 0..<connections { connect() }
    }

    var transport: String { path == nil ? "tcp" : "unix" }

    func connect() {
        let socket: Socket
        do {
            if let path {
                socket = try Net.connect(path: path, loop: loop)
            } else {
                var connectOptions = SocketConnectOptions(port: port, host: host)
                connectOptions.noDelay = true
                socket = try Net.connect(connectOptions, loop: loop)
            }
        } catch {
            errors += 1
            return
        }
        let client = Client(socket: socket)
        clients.append(client)
        socket.on(.connect) { [self] in send(client) }
        socket.on(.data) { [self] chunk in echoed(chunk, on: client) }
        socket.on(.error) { [self] _ in if phase != .done { errors += 1 } }
    }

    func send(_ client: Client) {
        client.tag = Int(truncatingIfNeeded: client.sent & 255)
        client.sent += 1
        client.received = 0
        client.started = Self.nanoseconds()
        client.socket.write(messages[client.tag])
    }

    func echoed(_ chunk: Buffer, on client: Client) {
        let end = client.received + chunk.count
        guard end <= size, chunk == messages[client.tag][client.received..<end] else {
            corrupt += 1
            if phase != .done { errors += 1 }
            client.socket.destroy()
            return
        }
        client.received = end
        guard end == size else { return }
        if phase == .measure {
            roundTrips += 1
            histogram.record(Self.nanoseconds() - client.started)
        }
        if phase != .done { send(client) }
    }

    func startWindow() {
        phase = .measure
        roundTrips = 0
        errors = 0
        corrupt = 0
        histogram.reset()
        cpuStart = Self.cpuSeconds()
        FileHandleOutput.write("start\n", fd: 1)
        windowStart = Self.nanoseconds()
    }

    func finishWindow() {
        let elapsed = Double(Self.nanoseconds() - windowStart) / 1e9
        let cpu = Self.cpuSeconds() - cpuStart
        let us = { (ns: Double) in fixed(ns / 1e3, 2) }
        let line = "result scenario=pingpong transport=\(transport) connections=\(connections)"
            + " duration_s=\(fixed(elapsed, 4)) size=\(size) round_trips=\(roundTrips)"
            + " rtt_per_s=\(fixed(Double(roundTrips) / elapsed, 1))"
            + " p50_us=\(us(histogram.percentile(50))) p99_us=\(us(histogram.percentile(99)))"
            + " p999_us=\(us(histogram.percentile(99.9))) max_us=\(us(Double(histogram.max)))"
            + " client_cpu_pct=\(fixed(100 * cpu / elapsed, 1)) errors=\(errors) corrupt=\(corrupt)\n"
        FileHandleOutput.write(line, fd: 1)
        produced = true
    }

    func closeEverything() {
        guard phase != .done else { return }
        phase = .done
        for client in clients { client.socket.destroy() }
        clients.removeAll()
        deadline?.close()
        for watcher in signals { watcher.close() }
        signals.removeAll()
    }

    static func nanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// User plus system CPU seconds of this process.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let seconds = { (t: timeval) in Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

/// `x` with exactly `digits` decimals (what `%.Nf` prints for the values this program reports).
func fixed(_ x: Double, _ digits: Int) -> String {
    guard x.isFinite else { return "0" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = UInt64((abs(x) * scale).rounded())
    let unit = UInt64(scale)
    let whole = scaled / unit
    var text = String(scaled % unit)
    while text.count < digits { text = "0" + text }
    return (x < 0 && scaled > 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + text : "")
}

enum FileHandleOutput {
    /// Writes `text` to `fd` at once (no stdio buffering, so the driver sees each line when it happens).
    static func write(_ text: String, fd: Int32) {
        var text = text
        text.withUTF8 { bytes in _ = Glibc.write(fd, bytes.baseAddress, bytes.count) }
    }
}

NetLoadgen.main()
