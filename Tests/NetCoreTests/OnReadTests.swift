import Testing
import Foundation
import CMallocCounter
@testable import NetCore
import Net

/// Node's `onread`: reads land in the caller's memory and go to a callback instead of `'data'`.
@Suite struct OnReadTests {
    static let message = Buffer("hello world")

    /// A server that sends `message` and ends, and a client built with `onread`; returns what
    /// the client's callback saw. `configure` gets the client once it exists.
    private func receive(
        _ onread: OnRead, configure: @escaping (Socket, EventLoop) -> Void = { _, _ in }
    ) -> (dataEvents: Int, ended: Bool) {
        var dataEvents = 0
        var ended = false
        withLoop { loop in
            let server = Net.createServer(loop: loop) { socket in
                socket.end(Self.message)
            }
            server.on(.connection) { _ in server.close() }
            listenLocal(server) { port in
                var options = SocketConnectOptions(port: port, host: "127.0.0.1")
                options.onread = onread
                guard let client = try? Net.connect(options, loop: loop) else {
                    Issue.record("connect threw")
                    return
                }
                client.on(.data) { _ in dataEvents += 1 }
                client.on(.end) { ended = true }
                configure(client, loop)
            }
        }
        return (dataEvents, ended)
    }

    // node: test/parallel/test-net-onread-static-buffer.js (Buffer and Uint8Array cases)
    // An 8-byte region receives the 11-byte message: every callback gets the count and the
    // same memory, no 'data' event is emitted, 'end' still is, and the pieces make the message.
    @Test func staticBufferIsReusedForEveryRead() {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
        defer { memory.deallocate() }
        var pieces: [UInt8] = []
        var sameMemory = true
        var calls = 0
        let result = receive(OnRead(memory: .buffer(memory)) { n, region in
            calls += 1
            if region.baseAddress != memory.baseAddress || region.count != 8 { sameMemory = false }
            pieces += region.prefix(n)
            return true
        })
        #expect(Buffer(pieces) == Self.message)
        #expect(calls >= 2)
        #expect(sameMemory)
        #expect(result.dataEvents == 0)
        #expect(result.ended)
    }

    // The same with memory the socket allocates itself (`.capacity`), reused for every read.
    @Test func ownedCapacityIsReusedForEveryRead() {
        var pieces: [UInt8] = []
        var bases: Set<UnsafeMutableRawPointer?> = []
        let result = receive(OnRead(memory: .capacity(4)) { n, region in
            bases.insert(region.baseAddress)
            pieces += region.prefix(n)
            return true
        })
        #expect(Buffer(pieces) == Self.message)
        #expect(bases.count == 1)
        #expect(result.dataEvents == 0)
        #expect(result.ended)
    }

    // node: test/parallel/test-net-onread-static-buffer.js (buffer function cases)
    // With a function handing out three 2-byte regions in turn, it is called once at the start
    // and once after each of the six reads the 11 bytes take: 7 times. Each callback gets the
    // region the function last returned.
    @Test func bufferFunctionIsCalledOncePlusOncePerRead() {
        let pool = (0..<3).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: 2, alignment: 1) }
        defer { pool.forEach { $0.deallocate() } }
        var index = -1
        var usage = 0
        var pieces: [UInt8] = []
        var rightRegion = true
        let result = receive(OnRead(memory: .factory({
            usage += 1
            index = (index + 1) % pool.count
            return pool[index]
        })) { n, region in
            if region.baseAddress != pool[index].baseAddress { rightRegion = false }
            pieces += region.prefix(n)
            return true
        })
        #expect(Buffer(pieces) == Self.message)
        #expect(usage == 7)
        #expect(rightRegion)
        #expect(result.dataEvents == 0)
        #expect(result.ended)
    }

    // node: test/parallel/test-net-onread-static-buffer.js (explicit and implicit pause)
    // pause() inside the callback, or returning false, stops reading until resume() 30 ms
    // later: no callback runs while paused, the 11 bytes take two 8-byte reads, 'end' follows.
    @Test(arguments: [true, false])
    func pauseFromTheCallbackStopsReadsUntilResume(_ explicit: Bool) {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
        defer { memory.deallocate() }
        var socket: Socket?
        var loopRef: EventLoop?
        var paused = false
        var calledWhilePaused = false
        var calls = 0
        var pieces: [UInt8] = []
        let result = receive(OnRead(memory: .buffer(memory)) { n, region in
            if paused { calledWhilePaused = true }
            calls += 1
            pieces += region.prefix(n)
            paused = true
            if explicit { socket?.pause() }
            loopRef?.setTimeout(30) {
                paused = false
                socket?.resume()
            }
            return explicit
        }, configure: { s, loop in
            socket = s
            loopRef = loop
            s.on(.close) { _ in socket = nil }
        })
        loopRef = nil
        #expect(!calledWhilePaused)
        #expect(calls == 2)
        #expect(Buffer(pieces) == Self.message)
        #expect(result.dataEvents == 0)
        #expect(result.ended)
    }
}

/// Heap allocations per read on the loop's thread, counted by the CMallocCounter interposer.
/// The peer runs on a thread of its own with plain blocking sockets, so only the loop's work is
/// counted. Counts are taken after a warm-up, at N = 100 and N = 1000 further reads.
@Suite(.serialized) struct ReadAllocationTests {
    static let warmUp = 50

    /// A listening blocking socket on 127.0.0.1 and its port.
    static func blockingListener() -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = listen(fd, 1)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }

    /// Runs `body` on a new thread; the returned semaphore is signalled when it returns.
    static func onThread(_ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        Thread {
            body()
            done.signal()
        }.start()
        return done
    }

    /// Allocation counts at reads warmUp, warmUp + 100 and warmUp + 1000, as the two deltas.
    static func deltas(_ marks: [UInt64]) -> (Int, Int)? {
        guard marks.count == 3 else { return nil }
        return (Int(marks[1] - marks[0]), Int(marks[2] - marks[0]))
    }

    static let counting = cmc_counting_enabled() != 0

    // The onread path: a peer streams 64 KiB blocks as fast as it can; the client reads them
    // into one region it owns. No read allocates: the count does not grow from N = 100 to
    // N = 1000 reads (it is 0).
    @Test(.enabled(if: counting, "allocation counting is off under sanitizers"))
    func onreadAllocatesNothingPerRead() {
        let (listener, port) = Self.blockingListener()
        let done = Self.onThread {
            let fd = accept(listener, nil, nil)
            close(listener)
            guard fd >= 0 else { return }
            let block = [UInt8](repeating: 7, count: 1 << 16)
            while block.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) > 0 {}
            close(fd)
        }
        var marks: [UInt64] = []
        marks.reserveCapacity(3)
        var reads = 0
        withLoop { loop in
            var options = SocketConnectOptions(port: port, host: "127.0.0.1")
            var client: Socket?
            options.onread = OnRead(memory: .capacity(1 << 16)) { _, _ in
                reads += 1
                if reads == Self.warmUp || reads == Self.warmUp + 100 || reads == Self.warmUp + 1000 {
                    marks.append(cmc_thread_allocations())
                }
                if reads == Self.warmUp + 1000 {
                    client?.destroy()
                    client = nil
                }
                return true
            }
            client = try? Net.connect(options, loop: loop)
            client?.on(.error) { _ in }
        }
        _ = done.wait(timeout: .now() + 5)
        let d = Self.deltas(marks)
        print("onread allocations: \(d.map { "\($0.0) over 100 reads, \($0.1) over 1000 reads" } ?? "not measured")")
        #expect(d != nil)
        #expect(d?.0 == 0)
        #expect(d?.1 == 0)
    }

    // The ordinary path, an echo: read → 'data' with a Buffer → write() of that Buffer. The peer
    // sends 1 KiB and waits for it to come back, so each round is one read and one write.
    @Test(.enabled(if: counting, "allocation counting is off under sanitizers"))
    func dataEchoAllocatesNothingPerChunk() {
        let rounds = Self.warmUp + 1000 + 10
        var marks: [UInt64] = []
        marks.reserveCapacity(3)
        var chunks = 0
        let peer = LockedCount()
        var done: DispatchSemaphore?
        withLoop(timeout: 10_000) { loop in
            let server = Net.createServer(loop: loop) { socket in
                socket.on(.data) { chunk in
                    chunks += 1
                    if chunks == Self.warmUp || chunks == Self.warmUp + 100 || chunks == Self.warmUp + 1000 {
                        marks.append(cmc_thread_allocations())
                    }
                    socket.write(chunk)
                }
            }
            server.on(.connection) { _ in server.close() }
            listenLocal(server) { port in
                done = Self.onThread {
                    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                    defer { close(fd) }
                    var addr = sockaddr_in()
                    addr.sin_family = sa_family_t(AF_INET)
                    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
                    addr.sin_port = UInt16(port).bigEndian
                    let len = socklen_t(MemoryLayout<sockaddr_in>.size)
                    let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) } }
                    guard r == 0 else { return }
                    var one: Int32 = 1
                    setsockopt(fd, Int32(IPPROTO_TCP), 1, &one, socklen_t(MemoryLayout<Int32>.size))
                    var out = [UInt8](repeating: 0x61, count: 1024)
                    var back = [UInt8](repeating: 0, count: 1024)
                    for _ in 0..<rounds {
                        guard out.withUnsafeMutableBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == 1024 else { return }
                        var got = 0
                        while got < 1024 {
                            let n = back.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, 1024 - got, 0) }
                            if n <= 0 { return }
                            got += n
                        }
                        peer.increment()
                    }
                }
            }
        }
        _ = done?.wait(timeout: .now() + 5)
        let d = Self.deltas(marks)
        print("echo allocations: \(d.map { "\($0.0) over 100 chunks, \($0.1) over 1000 chunks" } ?? "not measured"), \(chunks) chunks")
        #expect(peer.value == rounds)
        #expect(d != nil)
        #expect(d?.0 == 0)
        #expect(d?.1 == 0)
    }
}

/// The peer thread's progress, read by the test afterwards.
final class LockedCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
