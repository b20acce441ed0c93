import Testing
import Logging
import InMemoryLogging
@testable import NetCore
import Net

/// The default `onUnhandledError`: logged through the loop's swift-log `Logger`, fatal only for
/// a server that cannot serve. (That a fatal one exits with status 1 is checked end to end in
/// `ExampleSmokeTests`, since it ends the process.)
@Suite struct UnhandledErrorTests {
    @Test func onlyAServerThatFailedToStartIsFatal() {
        let inUse = NetError.errno(-98, syscall: "listen")  // EADDRINUSE
        #expect(EventLoop.isFatal(inUse, source: "Server"))
        #expect(EventLoop.isFatal(.errno(-13, syscall: "bind"), source: "Server"))
        #expect(!EventLoop.isFatal(.errno(-24, syscall: "accept"), source: "Server"))
        #expect(!EventLoop.isFatal(.errno(-104, syscall: "read"), source: "Socket"))
        #expect(!EventLoop.isFatal(inUse, source: "Socket"))
    }

    @Test func aSocketsUnhandledErrorIsLoggedWithItsFieldsAndTheLoopGoesOn() {
        let log = InMemoryLogHandler()
        var closedWithError = false
        withLoop { loop in
            loop.logger = Logger(label: "test") { _ in log }
            // The default hook, as a program that never replaced it has.
            loop.onUnhandledError = { [unowned loop] in loop.handleUnhandledErrorByDefault($0, source: $1) }
            // No 'error' listener: ECONNREFUSED goes to the hook, and the socket still closes.
            let socket = dial(closedPort(), loop: loop)
            socket.on(.close) { event in closedWithError = event.hadError }
        }
        #expect(closedWithError, "the socket did not close with its error")
        let entry = log.entries.first
        #expect(log.entries.count == 1)
        #expect(entry?.level == .error)
        #expect(entry?.message.description.hasPrefix("unhandled 'error' event on Socket: Error: connect ECONNREFUSED 127.0.0.1:") == true)
        #expect(entry?.metadata["code"] == "ECONNREFUSED")
        #expect(entry?.metadata["syscall"] == "connect")
        #expect(entry?.metadata["address"] == "127.0.0.1")
    }
}
