import Testing
import Foundation
@testable import NetCore
import Net

/// `listen` on Unix domain sockets: paths, modes, addresses, abstract names and errors.
@Suite struct PipeListenTests {
    // node: test/parallel/test-net-server-listen-path.js — listen(path), listen({path}),
    // listen(path, cb) and listen({path}, cb) all reach 'listening'; the socket file exists while
    // the server listens and is removed as soon as it closes.
    @Test func listenPathFormsReachListeningAndCloseRemovesTheFile() throws {
        var listened = 0
        var closed = 0
        try withTempDir { dir in
            try withLoop { loop in
                func check(_ server: Server, _ path: String) {
                    listened += 1
                    #expect(server.listening)
                    #expect(isSocketFile(path), "no socket file at \(path) while listening")
                    server.close { error in
                        #expect(error == nil)
                        closed += 1
                    }
                    #expect(fileMode(path) == nil, "the socket file outlived close()")
                }
                let paths = (0..<4).map { dir.file("form\($0).sock") }
                let a = Server(loop: loop)
                try a.listen(path: paths[0])
                a.on(.listening) { check(a, paths[0]) }
                let b = Server(loop: loop)
                try b.listen(ListenOptions(path: paths[1]))
                b.on(.listening) { check(b, paths[1]) }
                let c = Server(loop: loop)
                try c.listen(path: paths[2]) { check(c, paths[2]) }
                let d = Server(loop: loop)
                try d.listen(ListenOptions(path: paths[3])) { check(d, paths[3]) }
            }
        }
        #expect(listened == 4)
        #expect(closed == 4)
    }

    // node: test/parallel/test-net-server-listen-path.js (readableAll/writableAll) — the socket
    // file is created with the umask applied; readableAll adds read and writableAll adds write
    // permission for owner, group and others.
    @Test func readableAllAndWritableAllSetTheFileMode() throws {
        let umask = try #require(currentUmask(), "cannot read the umask from /proc/self/status")
        let base = 0o777 & ~umask
        let cases: [(readable: Bool, writable: Bool, mode: mode_t)] = [
            (false, false, base),
            (true, false, base | 0o444),
            (false, true, base | 0o222),
            (true, true, base | 0o666),
        ]
        var modes: [mode_t?] = Array(repeating: nil, count: cases.count)
        try withTempDir { dir in
            try withLoop { loop in
                for (i, c) in cases.enumerated() {
                    let path = dir.file("mode\(i).sock")
                    let server = Server(loop: loop)
                    server.on(.error) { Issue.record("listen \(i): \($0)") }
                    try server.listen(ListenOptions(path: path, readableAll: c.readable, writableAll: c.writable)) {
                        modes[i] = fileMode(path).map { $0 & 0o777 }
                        server.close()
                    }
                }
            }
        }
        for (i, c) in cases.enumerated() {
            #expect(modes[i] == c.mode, "readableAll \(c.readable), writableAll \(c.writable)")
        }
    }

    // node: test/parallel/test-net-server-listen-path.js (EADDRINUSE) — a second server on the
    // path of a live one gets an asynchronous 'error' (never a throw) that reads like Node's; the
    // first server keeps its socket file and keeps accepting; the second can listen elsewhere.
    @Test func secondListenerOnALivePathIsAddressInUse() throws {
        var error: NetError?
        var throwReturned = false
        var firstStillAccepts = false
        var secondRelistened = false
        try withTempDir { dir in
            let path = dir.file("busy.sock")
            try withLoop { loop in
                let first = Server(loop: loop) { $0.end() }
                try first.listen(path: path) {
                    let second = Server(loop: loop)
                    second.on(.listening) {
                        if error == nil { Issue.record("the second server listened on a busy path") }
                    }
                    second.once(.error) { e in
                        #expect(throwReturned, "the error came before listen returned")
                        error = e
                        #expect(isSocketFile(path), "the failed listener removed the live server's file")
                        let c = Socket(loop: loop)
                        c.on(.error) { Issue.record("client: \($0)") }
                        c.on(.close) { _ in
                            _ = try? second.listen(path: dir.file("other.sock")) {
                                secondRelistened = second.listening
                                second.close()
                                first.close()
                            }
                        }
                        _ = try? c.connect(path: path) { firstStillAccepts = true }
                        c.resume()
                    }
                    _ = try? second.listen(path: path)
                    throwReturned = true
                }
            }
        }
        let e = try #require(error)
        #expect(e.code == .EADDRINUSE)
        #expect(e.message.hasPrefix("listen EADDRINUSE: address already in use"))
        #expect(e.message.hasSuffix("/busy.sock"))
        #expect(e.syscall == "listen" && e.errno == -98)
        #expect(e.address?.hasSuffix("/busy.sock") == true)
        // As Node (node 20: `port` -1 on a pipe listen error, and none in the message).
        #expect(e.port == -1)
        #expect(firstStillAccepts)
        #expect(secondRelistened)
    }

    // node: test/parallel/test-net-better-error-messages-listen-path.js — a path in a directory
    // that does not exist fails with an 'error' carrying the path (libuv reports EACCES, as
    // Node does).
    @Test func pathInAMissingDirectoryIsAnErrorWithTheAddress() throws {
        var error: NetError?
        try withTempDir { dir in
            let path = dir.file("missing/dir/x.sock")
            try withLoop { loop in
                let server = Server(loop: loop)
                server.on(.error) { error = $0 }
                try server.listen(path: path) { Issue.record("listening on \(path)") }
            }
            let e = try #require(error)
            #expect(e.address == path)
            #expect(e.code == .EACCES)
            #expect(e.message == "listen EACCES: permission denied \(path)")
        }
    }

    // node: test/parallel/test-net-pipe-with-long-path.js — a path longer than sun_path is
    // refused with EINVAL on listen and on connect (v23 semantics), and nothing is created at a
    // truncated path.
    @Test func overLongPathIsEINVALOnListenAndConnect() throws {
        var listenError: NetError?
        var connectError: NetError?
        try withTempDir { dir in
            let path = dir.file(String(repeating: "x", count: 10_000) + ".sock")
            try withLoop { loop in
                let server = Server(loop: loop)
                server.on(.listening) { Issue.record("listened on an over-long path"); server.close() }
                server.on(.error) { e in
                    listenError = e
                    server.close()
                    let c = Socket(loop: loop)
                    c.on(.connect) { Issue.record("connected to an over-long path") }
                    c.on(.error) { connectError = $0 }
                    _ = try? c.connect(path: path)
                }
                try server.listen(path: path)
            }
            let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            #expect(left.isEmpty, "something was created: \(left.map { $0.prefix(20) })")
        }
        #expect(listenError?.code == .EINVAL)
        #expect(listenError?.syscall == "listen")
        #expect(connectError?.code == .EINVAL)
        #expect(connectError?.syscall == "connect")
    }

    // node: test/parallel/test-net-pipe-with-long-path.js (the other side) — a path of exactly
    // the longest length sun_path holds (107 bytes) listens and accepts at that full path.
    @Test func pathOfTheLongestAllowedLengthWorks() throws {
        var connected = false
        try withTempDir { dir in
            let prefix = dir.path + "/"
            let path = prefix + String(repeating: "p", count: 107 - prefix.utf8.count)
            #expect(path.utf8.count == 107)
            try withLoop { loop in
                let server = Server(loop: loop) { $0.end() }
                server.on(.error) { Issue.record("listen: \($0)") }
                try server.listen(path: path) {
                    #expect(isSocketFile(path))
                    #expect((try? server.address()) == .path(path))
                    let c = Socket(loop: loop)
                    c.on(.error) { Issue.record("connect: \($0)") }
                    c.on(.close) { _ in server.close() }
                    _ = try? c.connect(path: path) { connected = true }
                    c.resume()
                }
            }
        }
        #expect(connected)
    }

    // node: test/parallel/test-pipe-address.js — a pipe server's address() is its path: no port,
    // no family; nil again once closed.
    @Test func addressIsThePath() throws {
        var seen: ServerAddress?
        var afterClose: ServerAddress? = .path("not checked")
        try withTempDir { dir in
            let path = dir.file("address.sock")
            try withLoop { loop in
                let server = Server(loop: loop)
                #expect(try server.address() == nil)
                try server.listen(path: path) {
                    seen = try? server.address()
                    server.close()
                    afterClose = try? server.address()
                }
            }
            #expect(seen == .path(path))
            #expect(seen?.address == path)
            #expect(seen?.description == path)
            #expect(seen?.port == nil)
            #expect(seen?.family == nil)
            #expect(afterClose == nil)
        }
    }

    // node: test/parallel/test-net-server-call-listen-multiple-times.js (after close), on a
    // path — close removes the file, so the same server can listen on the same path again.
    @Test func listenAgainOnTheSamePathAfterClose() throws {
        var rounds = 0
        try withTempDir { dir in
            let path = dir.file("again.sock")
            try withLoop { loop in
                let server = Server(loop: loop)
                server.on(.error) { Issue.record("round \(rounds): \($0)") }
                try server.listen(path: path) {
                    rounds += 1
                    server.close {  _ in
                        _ = try? server.listen(path: path) {
                            rounds += 1
                            server.close()
                        }
                    }
                }
            }
            #expect(fileMode(path) == nil)
        }
        #expect(rounds == 2)
    }

    // node: test/parallel/test-pipe-abstract-socket.js — an abstract name cannot be made
    // readable or writable by all: listen throws ERR_INVALID_ARG_VALUE with Node's message
    // (typo included) and the server is left not listening.
    @Test func abstractNameWithReadableOrWritableAllThrows() {
        let loop = EventLoop()
        let name = uniqueAbstractName("modes")
        let shown = name.replacingOccurrences(of: "\0", with: "\\x00")
        let cases: [(Bool, Bool, String)] = [
            (true, false, "readableAll: true"), (false, true, "writableAll: true"),
            (true, true, "readableAll: true, writableAll: true"),
        ]
        for (readable, writable, fields) in cases {
            let server = Server(loop: loop)
            do throws(NetError) {
                try server.listen(ListenOptions(path: name, readableAll: readable, writableAll: writable))
                Issue.record("listen accepted readableAll \(readable) writableAll \(writable)")
                server.close()
            } catch {
                #expect(error.code == .ERR_INVALID_ARG_VALUE)
                #expect(error.name == "TypeError")
                #expect(error.message == "The argument 'options' can not set readableAll or writableAllt to true "
                    + "when path is abstract unix socket. Received { path: '\(shown)', \(fields) }")
            }
            #expect(!server.listening)
        }
        loop.run()
        #expect(loop.liveHandles == 0)
    }

    // node: test/parallel/test-pipe-abstract-socket.js (listen and connect) — a server on an
    // abstract name reports the name, NUL included, as its address, creates no file, and a
    // client reaches it by the same name.
    @Test func abstractListenAndConnect() throws {
        let name = uniqueAbstractName("echo")
        var address: ServerAddress?
        var echoed = ""
        try withLoop { loop in
            let server = Server(loop: loop) { $0.pipe($0) }
            server.on(.error) { Issue.record("listen: \($0)") }
            try server.listen(path: name) {
                address = try? server.address()
                let c = Socket(loop: loop)
                c.on(.error) { Issue.record("connect: \($0)") }
                c.on(.data) { echoed += $0.toString() }
                c.on(.close) { _ in server.close() }
                _ = try? c.connect(path: name) { c.end("abstract") }
            }
        }
        #expect(address == .path(name))
        #expect(address?.address.utf8.first == 0)
        #expect(fileMode(String(name.dropFirst())) == nil)
        #expect(echoed == "abstract")
    }

    // node: test/parallel/test-pipe-unref.js — an unref'd pipe server does not keep the loop
    // running: run() returns while it still listens (here well before the guard's second).
    @Test(arguments: [false, true]) func unrefPipeServerLetsRunReturn(unrefBeforeListen: Bool) throws {
        try withTempDir { dir in
            let path = dir.file("unref.sock")
            let loop = EventLoop()
            loop.onUnhandledError = { error, _ in Issue.record("unhandled \(error)") }
            var timedOut = false
            let guardTimer = Timeout(loop: loop) {
                timedOut = true
                loop.closeAllHandles()
            }
            guardTimer.unref()
            guardTimer.start(timeout: 1000)
            let server = Server(loop: loop)
            if unrefBeforeListen { server.unref() }
            try server.listen(path: path)
            if !unrefBeforeListen { server.unref() }
            loop.run()
            #expect(!timedOut, "run() waited for the unref'd server")
            #expect(server.listening)
            #expect(isSocketFile(path))
            guardTimer.close()
            server.close()
            loop.run()
            #expect(loop.liveHandles == 0)
            #expect(fileMode(path) == nil)
        }
    }
}
