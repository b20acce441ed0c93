import Testing
import CMallocCounter
import Glibc
@testable import NetCore
import Net

/// The heap an idle accepted connection keeps on the server, measured on the loop's thread by the
/// allocation counter: the server is the `pipe` echo of `net-echo` (the shape the benchmark's idle
/// scenario holds 10,000 of), its clients are plain blocking sockets on a thread of their own, so
/// the loop thread's figures are the server's alone.
///
/// A warm-up of connections comes first (the loop's first accept and write set up what every
/// later one reuses); then the live bytes and the allocation count are read, more connections
/// are made, each sends a byte and reads its echo, and both are read again.
@Suite(.serialized) struct IdleMemoryTests {
    static let counting = cmc_counting_enabled() != 0
    static let warmUp = 16
    static let measured = 200

    /// What the loop thread saw, at the marks the client thread asked for.
    final class Marks: @unchecked Sendable {
        var live: [Int64] = []
        var allocations: [UInt64] = []
        var clientFailure: String?
        /// The server, closed from the loop once the clients are done (loop-confined: only the
        /// loop's thread touches it).
        var server: Server?
        init() {
            live.reserveCapacity(3)
            allocations.reserveCapacity(3)
        }
        func take() {
            live.append(cmc_thread_live_bytes())
            allocations.append(cmc_thread_allocations())
        }
    }

    @Test(.enabled(if: counting, "allocation counting is off under sanitizers"))
    func anIdleConnectionKeepsThreeBlocksInUnder600Bytes() throws {
        let marks = Marks()
        var sync: [Int32] = [-1, -1]
        try #require(pipe(&sync) == 0, "pipe failed")
        defer { close(sync[0]); close(sync[1]) }
        let (wait, wake) = (sync[0], sync[1])
        var port = 0
        withLoop(timeout: 20_000) { loop in
            let server = Net.createServer(loop: loop) { socket in socket.pipe(socket) }
            marks.server = server
            _ = listenLocal(server) { listening in
                port = listening
                Self.startClients(loop: loop, port: listening, marks: marks, wait: wait, wake: wake)
            }
        }
        if let failure = marks.clientFailure { Issue.record("client thread: \(failure)") }
        try #require(marks.live.count == 2, "marks taken: \(marks.live.count)")
        let bytes = Double(marks.live[1] - marks.live[0]) / Double(Self.measured)
        let allocations = Int(marks.allocations[1] - marks.allocations[0])
        let blocks = Double(allocations) / Double(Self.measured)
        print("idle pipe-echo connection: \(bytes) bytes of heap in \(blocks) allocations (port \(port))")
        // 552 usable bytes today: the socket (248), its uv_tcp_t (248), the handle object (56).
        #expect(bytes <= 600, "an idle connection keeps \(bytes) bytes of heap")
        // Three blocks each, and a few more as the loop's containers grow with the count.
        #expect(allocations <= 3 * Self.measured + 16, "\(Self.measured) idle connections made \(allocations) allocations")
        #expect(bytes >= 248, "the counter saw \(bytes) bytes per connection: it did not count them")
    }

    /// A socket nobody listens to carries no listener table: emitting, counting, listing and
    /// removing leave it absent; the first listener creates it, and a `'data'` listener added
    /// then still starts the flow.
    @Test func aSocketCreatesItsListenerTableWithTheFirstListener() {
        withLoop { loop in
            let socket = Socket(loop: loop)
            #expect(socket.existingListenerTable == nil)
            #expect(socket.emit(.end) == false)
            #expect(socket.listenerCount(.data) == 0)
            #expect(socket.listeners(.close).isEmpty)
            #expect(socket.eventNames().isEmpty)
            socket.removeAllListeners(.data).removeAllListeners()
            #expect(socket.existingListenerTable == nil, "a read of the listeners created the table")
            #expect(socket.readableFlowing == nil)
            var ended = 0
            socket.on(.end) { ended += 1 }
            #expect(socket.existingListenerTable != nil)
            #expect(socket.emit(.end) && ended == 1)
            socket.on(.data) { _ in }
            #expect(socket.readableFlowing == true, "the table created late lost its observer")
            #expect(socket.eventNames() == ["end", "data"])
            socket.destroy()
        }
    }

    /// The client thread: connects in two rounds, asking the loop for a mark after each, then
    /// closes everything and lets the server go.
    static func startClients(loop: EventLoop, port: Int, marks: Marks, wait: Int32, wake: Int32) {
        let thread = startPthread {
            var fds: [Int32] = []
            var failure: String?
            for (round, count) in [Self.warmUp, Self.measured].enumerated() where failure == nil {
                failure = Self.connectAndEcho(count, port: port, into: &fds)
                loop.execute { marks.take(); Self.signal(wake) }
                if failure == nil && !Self.await(wait) { failure = "no mark after round \(round)" }
            }
            for fd in fds { close(fd) }
            let failed = failure
            loop.execute {
                marks.clientFailure = failed
                marks.server?.close()
                marks.server = nil
            }
        }
        pthread_detach(thread)
    }

    /// Opens `count` connections to the port, sends a byte on each and reads its echo (each wait
    /// bounded by a 5-second receive timeout). Returns what failed, or nil.
    static func connectAndEcho(_ count: Int, port: Int, into fds: inout [Int32]) -> String? {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        for i in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return "socket() failed at \(i): errno \(errno)" }
            fds.append(fd)
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let r = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard r == 0 else { return "connect failed at \(i): errno \(errno)" }
            var byte: UInt8 = 0x2A
            guard send(fd, &byte, 1, 0) == 1 else { return "send failed at \(i): errno \(errno)" }
            byte = 0
            guard recv(fd, &byte, 1, 0) == 1, byte == 0x2A else { return "no echo on connection \(i)" }
        }
        return nil
    }

    static func signal(_ fd: Int32) {
        var byte: UInt8 = 1
        _ = write(fd, &byte, 1)
    }

    /// Waits up to 5 seconds for a byte on `fd`.
    static func await(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 5000) == 1 else { return false }
        var byte: UInt8 = 0
        return read(fd, &byte, 1) == 1
    }
}
