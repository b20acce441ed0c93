import Testing
import Logging
import InMemoryLogging
@testable import NetCore

/// A bare emitter that keeps the warnings it is told of instead of logging them.
private final class Tracker: EventEmitter {
    let listenerTable = ListenerTable()
    var warnings: [MaxListenersExceededWarning] = []
    func maxListenersExceeded(_ warning: MaxListenersExceededWarning) { warnings.append(warning) }
}

extension Event where Source == Tracker, Payload == Void {
    fileprivate static var a: Self { .init("a") }
    fileprivate static var b: Self { .init("b") }
    fileprivate static var t: Self { .init("t") }
    fileprivate static var tick: Self { .init("tick") }
}

extension Event where Source == Tracker, Payload == NetError {
    fileprivate static var error: Self { .init("error") }
}

extension Event where Source == Tracker, Payload == String {
    /// An `'error'` that carries text.
    fileprivate static var textError: Self { .init("error") }
}

// Node's EventEmitter API beyond on/once/off, checked against node v20.20.2 with the scripts
// quoted at each test (`node -e '…'`, output below the script).
// The suite is serialized: one test changes the process-wide default limit and puts it back.
@Suite(.serialized) struct EventEmitterNodeParityTests {
    // MARK: setMaxListeners, getMaxListeners, defaultMaxListeners

    // const net = require("net"); const s = new net.Socket();
    // for (let i=0;i<11;i++) s.on("data",()=>{}); console.log("after 11");
    // s.on("data",()=>{}); console.log("after 12");
    // for (let i=0;i<11;i++) s.on("end",()=>{});
    // console.log(EventEmitter.defaultMaxListeners, s.getMaxListeners());
    // → after 11 / after 12 / 10 10
    //   (node:30736) MaxListenersExceededWarning: Possible EventEmitter memory leak detected. 11 data
    //   listeners added to [Socket]. MaxListeners is 10. Use emitter.setMaxListeners() to increase limit
    //   (node:30736) MaxListenersExceededWarning: … 11 end listeners added to [Socket]. MaxListeners is 10. …
    @Test func theEleventhListenerOfASocketEventIsLoggedOnceThroughTheLoopsLogger() {
        let log = InMemoryLogHandler()
        withLoop { loop in
            loop.logger = Logger(label: "test") { _ in log }
            let socket = Socket(loop: loop)
            #expect(Socket.defaultMaxListeners == 10)
            #expect(socket.getMaxListeners() == 10)
            for _ in 0..<10 { socket.on(.end) {} }
            #expect(log.entries.isEmpty)
            socket.on(.end) {}
            socket.on(.end) {}
            for _ in 0..<11 { socket.on(.finish) {} }
            socket.removeAllListeners()
        }
        #expect(log.entries.map(\.message.description) == [
            "MaxListenersExceededWarning: Possible EventEmitter memory leak detected. 11 end listeners added to [Socket]. MaxListeners is 10. Use emitter.setMaxListeners() to increase limit",
            "MaxListenersExceededWarning: Possible EventEmitter memory leak detected. 11 finish listeners added to [Socket]. MaxListeners is 10. Use emitter.setMaxListeners() to increase limit",
        ])
        #expect(log.entries.allSatisfy { $0.level == .warning })
        #expect(log.entries.first?.metadata["event"] == "end")
        #expect(log.entries.first?.metadata["count"] == "11")
        #expect(log.entries.first?.metadata["limit"] == "10")
        #expect(log.entries.first?.metadata["emitter"] == "Socket")
    }

    // const s = new net.Socket(); for (let i = 0; i < 6; i++) s.on("data", () => {});
    // s.setEncoding("utf8"); for (let i = 0; i < 5; i++) s.on("data", () => {});
    // → (node:9665) MaxListenersExceededWarning: … 11 data listeners added to [Socket]. MaxListeners is 10. …
    // (`.text` listeners are Node's 'data' listeners with an encoding, so they count together.)
    @Test func dataAndTextListenersCountTogetherAsNodesDataListeners() {
        let log = InMemoryLogHandler()
        withLoop { loop in
            loop.logger = Logger(label: "test") { _ in log }
            let socket = Socket(loop: loop)
            for _ in 0..<6 { socket.on(.data) { _ in } }
            for _ in 0..<4 { socket.on(.text) { _ in } }
            #expect(log.entries.isEmpty)
            socket.on(.text) { _ in }
            socket.removeAllListeners()
        }
        #expect(log.entries.count == 1)
        #expect(log.entries.first?.message.description.contains("11 data listeners added to [Socket]") == true)
    }

    // const srv = net.createServer(); for (let i=0;i<11;i++) srv.on("connection",()=>{});
    // → (node:30736) MaxListenersExceededWarning: … 11 connection listeners added to [Server]. MaxListeners is 10. …
    @Test func aServerWarnsThroughItsLoopsLoggerToo() {
        let log = InMemoryLogHandler()
        withLoop { loop in
            loop.logger = Logger(label: "test") { _ in log }
            let server = Server(loop: loop)
            for _ in 0..<11 { server.on(.connection) { _ in } }
            server.removeAllListeners()
        }
        #expect(log.entries.map(\.message.description) == [
            "MaxListenersExceededWarning: Possible EventEmitter memory leak detected. 11 connection listeners added to [Server]. MaxListeners is 10. Use emitter.setMaxListeners() to increase limit",
        ])
    }

    // const e = new EventEmitter(); e.setMaxListeners(2);
    // e.on("t", …); e.on("t", …); console.log("added 2"); e.on("t", …); console.log("added 3");
    // e.on("t", …); console.log("added 4");
    // const f = new EventEmitter(); f.setMaxListeners(0); for (let i=0;i<20;i++) f.on("t", …);
    // const g = new EventEmitter(); g.setMaxListeners(Infinity); for (let i=0;i<20;i++) g.on("t", …);
    // const h = new EventEmitter(); for (let i=0;i<5;i++) h.on("t", …); h.setMaxListeners(3);
    // console.log("lowered, no warn yet"); h.on("t", …);
    // const k = new EventEmitter(); k.setMaxListeners(1); k.on("t", …); k.on("u", …); k.on("t", …);
    // console.log("setMax returns emitter:", e.setMaxListeners(5) === e);
    // → added 2 / added 3 / added 4 / lowered, no warn yet / setMax returns emitter: true
    //   WARNING MaxListenersExceededWarning | … 3 t listeners added to [EventEmitter]. MaxListeners is 2. … | count 3 type t
    //   WARNING … 6 t listeners added to [EventEmitter]. MaxListeners is 3. … | count 6 type t
    //   WARNING … 2 t listeners added to [EventEmitter]. MaxListeners is 1. … | count 2 type t
    @Test func theLimitIsCheckedAsListenersAreAddedAndZeroOrIntMaxMeansNone() throws {
        let e = Tracker()
        #expect(try e.setMaxListeners(2) === e)
        #expect(e.getMaxListeners() == 2)
        e.on(.t) {}
        e.on(.t) {}
        #expect(e.warnings.isEmpty)
        e.on(.t) {}
        e.on(.t) {}
        #expect(e.warnings == [MaxListenersExceededWarning(emitter: "Tracker", event: "t", count: 3, limit: 2)])
        #expect(e.warnings.first?.message == "Possible EventEmitter memory leak detected. 3 t listeners added to [Tracker]. MaxListeners is 2. Use emitter.setMaxListeners() to increase limit")

        for limit in [0, Int.max] {
            let f = Tracker()
            try f.setMaxListeners(limit)
            for _ in 0..<20 { f.on(.t) {} }
            #expect(f.warnings.isEmpty, "limit \(limit)")
        }

        let h = Tracker()
        for _ in 0..<5 { h.on(.t) {} }
        try h.setMaxListeners(3)
        #expect(h.warnings.isEmpty)
        h.on(.t) {}
        #expect(h.warnings.map(\.count) == [6])
        #expect(h.warnings.map(\.limit) == [3])

        let k = Tracker()
        try k.setMaxListeners(1)
        k.on(.t) {}
        k.on(.a) {}
        k.once(.t) {}
        #expect(k.warnings.map(\.event) == ["t"])
        #expect(k.warnings.map(\.count) == [2])
    }

    // e.setMaxListeners(2); three 't' listeners; e.removeAllListeners("t"); three again
    // → node warns both times ("3 t listeners added" twice): Node marks the warning on the
    //   listener array, which a removal of all of them throws away.
    // Here an emitter warns about an event name once in its life, whatever was removed between.
    @Test func anEventNameIsWarnedAboutOnceEvenAfterItsListenersWereRemoved() throws {
        let e = Tracker()
        try e.setMaxListeners(2)
        for _ in 0..<3 { e.on(.t) {} }
        e.removeAllListeners(.t)
        for _ in 0..<3 { e.on(.t) {} }
        e.prependListener(.t) {}
        #expect(e.warnings.map(\.count) == [3])
    }

    // for v in -1 NaN: e.setMaxListeners(v)
    // → RangeError ERR_OUT_OF_RANGE | The value of "setMaxListeners" is out of range. It must be >= 0. Received -1
    //   RangeError ERR_OUT_OF_RANGE | The value of "setMaxListeners" is out of range. It must be >= 0. Received NaN
    // EventEmitter.defaultMaxListeners = -1
    // → RangeError ERR_OUT_OF_RANGE | The value of "defaultMaxListeners" is out of range. It must be >= 0. Received -1
    // (NaN has no Int to be written as.)
    @Test func aNegativeLimitThrowsOutOfRangeAndChangesNothing() throws {
        let e = Tracker()
        try e.setMaxListeners(4)
        #expect(throws: NetError.outOfRange("setMaxListeners", range: ">= 0", received: "-1")) { try e.setMaxListeners(-1) }
        do {
            try e.setMaxListeners(-1)
        } catch {
            #expect(error.code == .ERR_OUT_OF_RANGE)
            #expect(error.name == "RangeError")
            #expect(error.message == "The value of \"setMaxListeners\" is out of range. It must be >= 0. Received -1")
        }
        #expect(e.getMaxListeners() == 4)
        do {
            try Tracker.setDefaultMaxListeners(-1)
            Issue.record("setDefaultMaxListeners(-1) did not throw")
        } catch {
            #expect(error.message == "The value of \"defaultMaxListeners\" is out of range. It must be >= 0. Received -1")
        }
        #expect(Tracker.defaultMaxListeners == 10)
    }

    // const e = new EventEmitter();
    // EventEmitter.defaultMaxListeners = 3; console.log("after default=3:", e.getMaxListeners());
    // net.Socket.defaultMaxListeners = 4;
    // console.log("after Socket.default=4:", EventEmitter.defaultMaxListeners, e.getMaxListeners());
    // e.setMaxListeners(2); EventEmitter.defaultMaxListeners = 9; console.log("own limit stays:", e.getMaxListeners());
    // → after default=3: 3 / after Socket.default=4: 4 4 / own limit stays: 2
    @Test func theDefaultIsOneForTheProcessAndReadWhenNeeded() throws {
        let e = Tracker()
        let own = Tracker()
        try own.setMaxListeners(2)
        // Raised, not lowered, so that suites running meanwhile see no warning they did not expect.
        try Socket.setDefaultMaxListeners(30)
        defer { try? Socket.setDefaultMaxListeners(10) }
        #expect(e.getMaxListeners() == 30)
        #expect(Server.defaultMaxListeners == 30)
        #expect(Tracker.defaultMaxListeners == 30)
        #expect(own.getMaxListeners() == 2)
        for _ in 0..<30 { e.on(.t) {} }
        #expect(e.warnings.isEmpty)
        e.on(.t) {}
        #expect(e.warnings.map(\.limit) == [30])
    }

    // MARK: 'newListener'

    // const e = new EventEmitter();
    // e.on('newListener', (n) => log.push('new:' + String(n)));
    // e.on('newListener', (n) => log.push('new2:' + String(n)));
    // e.on('tick', () => {});
    // → 1 new:newListener new:tick new2:tick
    @Test func newListenerIsToldOfLaterListenersButNotOfItself() {
        let e = Tracker()
        let log = Log()
        e.on(.newListener) { log("new:\($0)") }
        e.on(.newListener) { log("new2:\($0)") }
        e.on(.tick) {}
        #expect(log.entries == ["new:newListener", "new:tick", "new2:tick"])
    }

    // e.on("newListener", (n) => { log.push("new:" + n + " count=" + e.listenerCount(n)); });
    // e.on("tick", …); e.prependListener("tick", …); e.once("tick", …);
    // → new:tick count=0 | new:tick count=1 | new:tick count=2
    @Test func newListenerRunsBeforeTheListenerIsAddedForEveryWayOfAdding() {
        let e = Tracker()
        let log = Log()
        e.on(.newListener) { [unowned e] name in log("new:\(name) count=\(e.listenerCount(.tick))") }
        e.on(.tick) {}
        e.prependListener(.tick) {}
        e.once(.tick) {}
        e.prependOnceListener(.tick) {}
        e.addListener(.tick) {}
        #expect(log.entries == (0..<5).map { "new:tick count=\($0)" })
    }

    // MARK: 'removeListener'

    // e.on("removeListener", (n) => log.push("rm:" + n + " count=" + e.listenerCount(n)));
    // const f = () => log.push("tick-f"); e.on("tick", f);
    // e.once("tick", () => log.push("tick-once")); e.emit("tick");
    // e.off("tick", f); e.off("tick", f);
    // → tick-f | rm:tick count=1 | tick-once | rm:tick count=0
    @Test func removeListenerFollowsOffAndAOnceListenerLeavingJustBeforeItRuns() {
        let e = Tracker()
        let log = Log()
        e.on(.removeListener) { [unowned e] name in log("rm:\(name) count=\(e.listenerCount(.tick))") }
        let f = e.addListener(.tick) { log("tick-f") }
        e.once(.tick) { log("tick-once") }
        e.emit(.tick)
        e.off(f)
        e.off(f)
        #expect(log.entries == ["tick-f", "rm:tick count=1", "tick-once", "rm:tick count=0"])
    }

    // e.on("removeListener", (n) => log.push("rm:" + n + " left=" + e.listenerCount(n)));
    // e.on("a", () => log.push("a1")); e.on("a", () => log.push("a2")); e.removeAllListeners("a");
    // → rm:a left=1 | rm:a left=0
    // e.on("a", …); e.on("b", …); e.removeAllListeners("removeListener");
    // → after removeAll(removeListener):  [ 'a', 'b' ]
    @Test func removeAllListenersOfOneEventTellsOfEachListener() {
        let e = Tracker()
        let log = Log()
        e.on(.removeListener) { [unowned e] name in log("rm:\(name) left=\(e.listenerCount(.a))") }
        e.on(.a) {}
        e.on(.a) {}
        e.removeAllListeners(.a)
        #expect(log.entries == ["rm:a left=1", "rm:a left=0"])
        log.entries = []
        e.on(.a) {}
        e.on(.b) {}
        e.removeAllListeners(.removeListener)
        #expect(log.entries == [])
        #expect(e.eventNames() == ["a", "b"])
    }

    // e.on("a", …); e.on("removeListener", (n) => log.push("rmA:" + String(n)));
    // e.on("b", …); e.on("a", …); e.on("removeListener", (n) => log.push("rmB:" + String(n)));
    // e.on("b", …); e.removeAllListeners(); console.log(log.join(" | "), e.eventNames());
    // → rmA:a | rmB:a | rmA:a | rmB:a | rmA:b | rmB:b | rmA:b | rmB:b | rmA:removeListener []
    @Test func removeAllListenersRemovesTheRemoveListenerListenersLast() {
        let e = Tracker()
        let log = Log()
        e.on(.a) {}
        e.on(.removeListener) { log("rmA:\($0)") }
        e.on(.b) {}
        e.on(.a) {}
        e.on(.removeListener) { log("rmB:\($0)") }
        e.on(.b) {}
        e.removeAllListeners()
        #expect(log.entries == [
            "rmA:a", "rmB:a", "rmA:a", "rmB:a", "rmA:b", "rmB:b", "rmA:b", "rmB:b", "rmA:removeListener",
        ])
        #expect(e.eventNames().isEmpty)
    }

    // e.on("removeListener", (n) => log.push("rm:" + n));
    // const t = () => {}; e.on("newListener", t); e.off("newListener", t);
    // const r = () => {}; e.on("removeListener", r); e.off("removeListener", r);
    // → rm:newListener | rm:removeListener
    @Test func removingAListenerForTheEventsAboutListenersIsToldToo() {
        let e = Tracker()
        let log = Log()
        let first = e.addListener(.removeListener) { log("rm:\($0)") }
        e.off(e.addListener(.newListener) { _ in })
        e.off(e.addListener(.removeListener) { _ in })
        // The last 'removeListener' listener hears nothing of its own removal: none is left.
        e.off(first)
        #expect(log.entries == ["rm:newListener", "rm:removeListener"])
    }

    // const srv = net.createServer((c) => c.end()).listen(0, "127.0.0.1", () => {
    //   const s = net.connect(srv.address().port, "127.0.0.1");
    //   s.on("removeListener", (n) => log.push("rm:" + n)); s.on("end", …); s.on("data", …);
    //   s.on("close", () => setImmediate(() => { log.push("closed, names=" + s.eventNames().join(","));
    //     console.log(log.join(" | ")); srv.close(); })); });
    // → closed, names=close,data,end,removeListener
    // Node keeps a closed socket's listeners; swift-net lets them go (so that closures capturing
    // the socket do not keep it alive), and that is no removal: 'removeListener' hears nothing.
    @Test func aClosedSocketDropsItsListenersWithoutTellingRemoveListener() {
        let log = Log()
        withLoop { loop in
            let server = Server(loop: loop) { $0.end() }
            listenLocal(server) { port in
                let socket = dial(port, loop: loop)
                socket.on(.removeListener) { log("rm:\($0)") }
                socket.on(.end) {}
                socket.on(.data) { _ in }
                // Strong captures: each closure goes once it has run, and the socket with them.
                socket.on(.close) { _ in
                    _ = loop.setImmediate {
                        log("closed, names=\(socket.eventNames().joined(separator: ","))")
                        server.close()
                    }
                }
            }
        }
        #expect(log.entries == ["closed, names="])
    }

    // MARK: errorMonitor

    // e.on("error", (err) => log.push("error:" + err.message));
    // e.on(errorMonitor, (err) => log.push("monitor:" + err.message));
    // console.log("emit returned", e.emit("error", new Error("boom")), log.join(" | "));
    // → emit returned true monitor:boom | error:boom
    // m.on(errorMonitor, …); try { m.emit("error", new Error("bang")) } catch (err) { … }
    // console.log(mlog.join(" | "), "count", m.listenerCount(errorMonitor), m.listenerCount("error"),
    //   m.eventNames(), String(errorMonitor));
    // → monitor:bang | thrown:bang count 1 0 [ Symbol(events.errorMonitor) ] Symbol(events.errorMonitor)
    @Test func errorMonitorsRunBeforeErrorListenersAndDoNotHandleTheError() {
        let boom = NetError(code: "ERR_TEST", message: "boom")
        let e = Tracker()
        let log = Log()
        e.on(.error) { log("error:\($0.message)") }
        e.on(.errorMonitor) { log("monitor:\($0.message)") }
        #expect(e.emit(.error, boom) == true)
        #expect(log.entries == ["monitor:boom", "error:boom"])

        let m = Tracker()
        log.entries = []
        m.on(.errorMonitor) { log("monitor:\($0.message)") }
        #expect(m.emit(.error, boom) == false, "an 'error' with only monitors is unhandled")
        #expect(log.entries == ["monitor:boom"])
        #expect(m.listenerCount(.errorMonitor) == 1)
        #expect(m.listenerCount(.error) == 0)
        #expect(m.eventNames() == ["Symbol(events.errorMonitor)"])
    }

    // The same with an 'error' whose payload is not a NetError.
    @Test func anErrorOfAnotherPayloadTypeIsMonitoredThroughErrorMonitorFor() {
        let e = Tracker()
        let log = Log()
        e.on(.textError) { log("error:\($0)") }
        e.on(.errorMonitor(for: .textError)) { log("monitor:\($0)") }
        #expect(e.emit(.textError, "boom") == true)
        e.removeAllListeners(.textError)
        #expect(e.emit(.textError, "bang") == false)
        #expect(log.entries == ["monitor:boom", "error:boom", "monitor:bang"])
        #expect(Event<Tracker, String>.errorMonitor(for: .textError).name == "Symbol(events.errorMonitor)")
    }

    // n.on(errorMonitor, () => console.log("monitor on a normal emit?"));
    // console.log("emit(errorMonitor) direct:", n.emit(errorMonitor, 1));
    // → monitor on a normal emit? / emit(errorMonitor) direct: true
    // p.on("newListener", (name) => plog.push("new:" + String(name))); p.on(errorMonitor, () => {});
    // → new:Symbol(events.errorMonitor)
    @Test func errorMonitorIsAnOrdinaryEventOtherwise() {
        let e = Tracker()
        let log = Log()
        e.on(.newListener) { log("new:\($0)") }
        e.on(.errorMonitor) { log("monitor:\($0.message)") }
        #expect(e.emit(.errorMonitor, NetError(code: "ERR_TEST", message: "direct")) == true)
        // Other events, and 'error' with another payload type, leave the monitors alone.
        e.emit(.tick)
        #expect(e.emit(.textError, "text") == false)
        #expect(log.entries == ["new:Symbol(events.errorMonitor)", "monitor:direct"])
    }

    // const s = net.connect(1, "127.0.0.1");
    // s.on(errorMonitor, (err) => console.log("monitor", err.code));
    // process.on("uncaughtException", (err) => console.log("uncaught", err.code));
    // → monitor ECONNREFUSED / uncaught ECONNREFUSED
    @Test func aSocketsErrorWithOnlyAMonitorStillReachesOnUnhandledError() {
        let log = Log()
        withLoop { loop in
            loop.onUnhandledError = { error, source in log("unhandled \(source) \(error.code.rawValue)") }
            let socket = dial(closedPort(), loop: loop)
            socket.on(.errorMonitor) { log("monitor \($0.code.rawValue)") }
        }
        #expect(log.entries == ["monitor ECONNREFUSED", "unhandled Socket ECONNREFUSED"])
    }

    @Test func aSocketsHandledErrorIsMonitoredFirstAndNotReported() {
        let log = Log()
        withLoop { loop in
            loop.onUnhandledError = { error, _ in log("unhandled \(error.code.rawValue)") }
            let socket = dial(closedPort(), loop: loop)
            socket.on(.error) { log("error \($0.code.rawValue)") }
            socket.prependListener(.errorMonitor) { log("monitor \($0.code.rawValue)") }
        }
        #expect(log.entries == ["monitor ECONNREFUSED", "error ECONNREFUSED"])
    }
}
