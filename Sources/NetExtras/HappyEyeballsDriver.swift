import NetCore

/// Runs a `HappyEyeballs` machine on a real socket: attempts through the socket's attempt
/// primitives, the attempt timer on an `EventLoop` `Timeout`, events on the socket.
///
/// Lifetime: the socket's `onConnectAbort` and the pending attempt's completion hold the driver
/// while the connect is pending; the driver holds the socket. Both links are dropped when the
/// connect ends (won, failed or aborted), and the timer is closed then.
package final class HappyEyeballsDriver {
    private let socket: Socket
    private var machine: HappyEyeballs
    /// The parsed address of each of the machine's addresses, by index.
    private let parsed: [IPAddress]
    private var attempts: [Int: ConnectAttempt] = [:]
    private var timer: Timeout?
    private var timerIndex: Int?
    private var stopped = false

    /// Resolves `host` with every address and connects `socket` as Node does when
    /// `autoSelectFamily` applies: `'lookup'` for each answer, then a plain connect when one
    /// usable address remains, else happy eyeballs with `attemptTimeout` milliseconds per
    /// attempt.
    package static func connect(_ socket: Socket, host: String, options: SocketConnectOptions, attemptTimeout: Int) {
        socket.resolve(host: host, options: options, all: true) { result in
            guard socket.connectPending else { return }
            let answers: [LookupAddress]
            switch result {
            case .failure(let error):
                socket.emit(.lookup, LookupEvent(error: error, address: nil, family: nil, host: host))
                guard socket.connectPending else { return }
                socket.failConnect(error)
                return
            case .success(let list):
                answers = list
            }
            for answer in answers {
                socket.emit(.lookup, LookupEvent(error: nil, address: answer.address, family: answer.family, host: host))
                guard socket.connectPending else { return }
            }
            let ordered = AddressOrder.interleaveParsed(answers)
            guard ordered.count > 1 else {
                if let only = ordered.first {
                    socket.connectResolved(ip: only.answer.address, address: only.address, options: options)
                } else if let first = answers.first, case .failure(let error) = Socket.check(first, host: host, port: options.port) {
                    socket.failConnect(error)
                }
                return
            }
            let blockList = options.blockList
            let parsed = ordered.map(\.address)
            let machine = HappyEyeballs(
                addresses: ordered.map(\.answer), port: options.port, localPort: options.localPort,
                attemptTimeout: max(10, attemptTimeout),
                isBlockedAt: { blockList?.blocks(parsed[$0]) ?? false })
            let driver = HappyEyeballsDriver(socket: socket, machine: machine, parsed: parsed)
            socket.autoSelectFamilyAttemptedAddresses = []
            socket.onConnectAbort = { driver.abort() }
            socket.attemptsStarting()
            driver.run(.start)
        }
    }

    private init(socket: Socket, machine: HappyEyeballs, parsed: [IPAddress]) {
        self.socket = socket
        self.machine = machine
        self.parsed = parsed
    }

    /// Feeds `input` to the machine and performs the actions, feeding back what they report at
    /// once (a bind or connect that failed or started) until nothing is left to do.
    private func run(_ input: HappyEyeballs.Input) {
        var inputs = [input]
        while !inputs.isEmpty, !stopped {
            for action in machine.handle(inputs.removeFirst()) {
                // A listener may destroy the socket; `abort()` has then stopped everything.
                if stopped { return }
                if let next = perform(action) { inputs.append(next) }
            }
        }
    }

    /// The socket was destroyed while connecting.
    private func abort() {
        guard !stopped else { return }
        for action in machine.handle(.abort) { _ = perform(action) }
        end()
    }

    private func perform(_ action: HappyEyeballs.Action) -> HappyEyeballs.Input? {
        switch action {
        case .bind(let i):
            let attempt = attempt(i)
            if let error = attempt.bind() { return .bindFailed(i, error) }
            return .bound(i)
        case .connect(let i):
            let attempt = attempt(i)
            let error = attempt.connect { [self] status in
                run(status == 0 ? .succeeded(i) : .failed(i, attempt.error(status)))
            }
            if let error { return .failed(i, error) }
            return .connectStarted(i)
        case .startTimer(let i, let ms):
            timerIndex = i
            let t = timer ?? Timeout(loop: socket.loop) { [weak self] in self?.timerFired() }
            timer = t
            t.start(timeout: UInt64(ms))
        case .cancelTimer:
            timerIndex = nil
            timer?.stop()
        case .emitAttempt(let i):
            let a = machine.addresses[i]
            socket.emit(.connectionAttempt, ConnectionAttemptEvent(address: a.address, port: machine.port, family: a.family))
        case .recordAttempted(let i):
            socket.autoSelectFamilyAttemptedAddresses?.append("\(machine.addresses[i].address):\(machine.port)")
        case .emitFailed(let i, let error):
            let a = machine.addresses[i]
            socket.emit(.connectionAttemptFailed, ConnectionAttemptFailedEvent(
                address: a.address, port: machine.port, family: a.family, error: error))
        case .emitTimeout(let i):
            let a = machine.addresses[i]
            socket.emit(.connectionAttemptTimeout, ConnectionAttemptEvent(address: a.address, port: machine.port, family: a.family))
        case .abandon(let i):
            attempts.removeValue(forKey: i)?.cancel()
        case .succeed(let i):
            let winner = attempts.removeValue(forKey: i)
            end()
            if let winner { socket.adoptAttempt(winner) }
        case .fail(let error):
            end()
            socket.failConnect(error)
        }
        return nil
    }

    /// Attempt `i`, made on first use.
    private func attempt(_ i: Int) -> ConnectAttempt {
        if let a = attempts[i] { return a }
        let a = machine.addresses[i]
        let attempt = socket.makeAttempt(ip: a.address, address: parsed[i], port: machine.port, localPort: machine.localPort)
        attempts[i] = attempt
        return attempt
    }

    private func timerFired() {
        guard let i = timerIndex else { return }
        timerIndex = nil
        run(.timerFired(i))
    }

    /// The connect ended: no more actions, no timer, no hold on the socket's abort hook.
    private func end() {
        stopped = true
        timerIndex = nil
        timer?.close()
        timer = nil
        socket.onConnectAbort = nil
        for attempt in attempts.values { attempt.cancel() }
        attempts.removeAll()
    }
}
