import Testing
import NetCore
import NetExtras

/// A fake network and a fake clock for the happy-eyeballs state machine: every address has a
/// behaviour, time only moves when the next scheduled thing happens, and everything the machine
/// asks for is recorded. Completions of abandoned attempts are still delivered, as a real
/// network could, so the machine has to cope with them.
struct HappyEyeballsSimulation {
    /// What an address does when connected to.
    enum Behaviour: CaseIterable, CustomStringConvertible {
        /// Refuses after 1 ms.
        case refuse
        /// Never answers; the system gives up after 75 s (ETIMEDOUT).
        case unreachable
        /// Accepts after 400 ms, later than the attempt timeout.
        case slow
        /// Accepts after 5 ms.
        case win
        /// The connect fails at once (ENETUNREACH), before any timer.
        case failAtOnce

        var description: String {
            switch self {
            case .refuse: "refuse"
            case .unreachable: "unreachable"
            case .slow: "slow"
            case .win: "win"
            case .failAtOnce: "failAtOnce"
            }
        }
    }

    static let port = 80
    static let refused: Int32 = -111
    static let timedOut: Int32 = -110
    static let unreachable: Int32 = -101

    var machine: HappyEyeballs
    let behaviour: [String: Behaviour]
    /// What a bind does, by address (default: succeeds).
    var bindFails: Set<String> = []
    private(set) var now = 0
    private var queue: [(time: Int, seq: Int, input: HappyEyeballs.Input)] = []
    private var seq = 0
    private var timer: (time: Int, index: Int)?
    /// The observable story: events, the winner or the error.
    private(set) var transcript: [String] = []
    /// `autoSelectFamilyAttemptedAddresses`.
    private(set) var attempted: [String] = []
    /// Attempts with a handle that is neither abandoned nor the connection.
    private(set) var open: Set<Int> = []
    /// Attempts abandoned, in order (an index may repeat when a late success is closed).
    private(set) var abandoned: [Int] = []
    /// The winning attempt.
    private(set) var winner: Int?
    /// The error the connect failed with.
    private(set) var failure: NetError?
    /// Every action, in order.
    private(set) var actions: [HappyEyeballs.Action] = []
    /// Timers started, as (attempt, at time).
    private(set) var timersStarted: [(Int, Int)] = []

    init(_ addresses: [LookupAddress], behaviour: [String: Behaviour], timeout: Int = 250,
         localPort: Int? = nil, blocked: Set<String> = []) {
        machine = HappyEyeballs(addresses: addresses, port: Self.port, localPort: localPort,
                                attemptTimeout: timeout, isBlocked: { blocked.contains($0.address) })
        self.behaviour = behaviour
    }

    /// Starts the machine and runs the clock until nothing is scheduled.
    mutating func run() {
        feed(.start)
        while let next = popNext() {
            now = next.time
            feed(next.input)
        }
    }

    /// Runs only until `time` (for tests that interrupt).
    mutating func run(until time: Int) {
        if machine.current == nil && !machine.isDone { feed(.start) }
        while let t = nextTime(), t <= time, let next = popNext() {
            now = next.time
            feed(next.input)
        }
        now = time
    }

    mutating func feed(_ input: HappyEyeballs.Input) {
        var inputs = [input]
        while !inputs.isEmpty {
            for action in machine.handle(inputs.removeFirst()) {
                actions.append(action)
                if let next = perform(action) { inputs.append(next) }
            }
        }
    }

    private func address(_ i: Int) -> String { machine.addresses[i].address }

    private mutating func perform(_ action: HappyEyeballs.Action) -> HappyEyeballs.Input? {
        switch action {
        case .bind(let i):
            open.insert(i)
            if bindFails.contains(address(i)) {
                var e = NetError(code: "EADDRINUSE", message: "bind EADDRINUSE 0.0.0.0:5000")
                e.syscall = "bind"
                return .bindFailed(i, e)
            }
            return .bound(i)
        case .connect(let i):
            open.insert(i)
            let a = address(i)
            switch behaviour[a] ?? .refuse {
            case .refuse: schedule(1, .failed(i, error(Self.refused, i)))
            case .unreachable: schedule(75_000, .failed(i, error(Self.timedOut, i)))
            case .slow: schedule(400, .succeeded(i))
            case .win: schedule(5, .succeeded(i))
            case .failAtOnce: return .failed(i, error(Self.unreachable, i))
            }
            return .connectStarted(i)
        case .startTimer(let i, let ms):
            if timer != nil { Issue.record("a second timer started at \(now) for \(address(i))") }
            if i == machine.addresses.count - 1 { Issue.record("a timer started for the last attempt") }
            timer = (now + ms, i)
            timersStarted.append((i, now))
        case .cancelTimer:
            if timer == nil { Issue.record("cancelTimer without a timer at \(now)") }
            timer = nil
        case .emitAttempt(let i):
            transcript.append("attempt \(address(i))")
        case .recordAttempted(let i):
            attempted.append("\(address(i)):\(Self.port)")
        case .emitFailed(let i, let e):
            transcript.append("failed \(address(i)) \(e.code)")
        case .emitTimeout(let i):
            transcript.append("timeout \(address(i))")
        case .abandon(let i):
            abandoned.append(i)
            open.remove(i)
        case .succeed(let i):
            if winner != nil || failure != nil { Issue.record("the connect ended twice") }
            winner = i
            open.remove(i)
            transcript.append("connect \(address(i))")
        case .fail(let e):
            if winner != nil || failure != nil { Issue.record("the connect ended twice") }
            failure = e
            transcript.append("error \(e.name) \(e.code) [\(e.errors.map { "\($0.code)" }.joined(separator: " "))]")
        }
        return nil
    }

    private func error(_ status: Int32, _ i: Int) -> NetError {
        .connectAttempt(status, address: address(i), port: Self.port, localPort: machine.localPort)
    }

    private mutating func schedule(_ delay: Int, _ input: HappyEyeballs.Input) {
        seq += 1
        queue.append((now + delay, seq, input))
    }

    private func nextTime() -> Int? {
        let q = queue.map(\.time).min()
        guard let t = timer?.time else { return q }
        return min(q ?? t, t)
    }

    /// The earliest scheduled input; the timer wins a tie, as it was armed first.
    private mutating func popNext() -> (time: Int, input: HappyEyeballs.Input)? {
        let best = queue.indices.min { (queue[$0].time, queue[$0].seq) < (queue[$1].time, queue[$1].seq) }
        if let t = timer, best.map({ t.time <= queue[$0].time }) ?? true {
            timer = nil
            return (t.time, .timerFired(t.index))
        }
        guard let b = best else { return nil }
        let item = queue.remove(at: b)
        return (item.time, item.input)
    }
}
