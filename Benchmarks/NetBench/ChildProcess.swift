#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where a child's standard stream goes.
enum StreamTarget {
    /// `/dev/null`.
    case null
    /// A pipe the driver reads (stdout/stderr) or writes (stdin).
    case pipe
    /// A file, created or truncated (for logs).
    case file(String)
    /// The driver's own stream.
    case inherit
}

/// An error starting or talking to a child process.
struct ProcessError: Error, CustomStringConvertible {
    /// What went wrong, in words.
    var description: String
}

/// A process the driver started with `posix_spawn`, and the pipes to it.
///
/// The driver is single-threaded and event-driven: it never sleeps, it waits
/// for output lines (`LineReader`) or for a pipe to close.
final class ChildProcess {
    /// The process id (the real program's: `taskset` execs it).
    let pid: pid_t
    /// A short name for messages.
    let name: String
    /// The read end of the child's stdout, when it was a pipe.
    let stdout: LineReader?
    /// The write end of the child's stdin, when it was a pipe.
    private(set) var stdinFD: Int32?
    /// The exit status once the child has been reaped.
    private(set) var exitStatus: Int32?

    private init(pid: pid_t, name: String, stdout: LineReader?, stdinFD: Int32?) {
        self.pid = pid
        self.name = name
        self.stdout = stdout
        self.stdinFD = stdinFD
    }

    deinit {
        if let fd = stdinFD { close(fd) }
    }

    /// Starts `arguments[0]` (looked up in `PATH`) with the other arguments.
    ///
    /// - Parameter environment: extra variables added to the driver's own.
    static func spawn(
        name: String,
        arguments: [String],
        environment: [String: String] = [:],
        stdin: StreamTarget = .null,
        stdout: StreamTarget = .pipe,
        stderr: StreamTarget = .inherit
    ) throws -> ChildProcess {
        precondition(!arguments.isEmpty)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }

        var closeInParent: [Int32] = []
        var stdinWrite: Int32?
        var stdoutRead: Int32?
        defer { for fd in closeInParent { close(fd) } }

        func plan(_ target: StreamTarget, fd: Int32, childReads: Bool) throws -> Int32? {
            switch target {
            case .inherit:
                return nil
            case .null:
                posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", childReads ? O_RDONLY : O_WRONLY, 0)
                return nil
            case .file(let path):
                posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                return nil
            case .pipe:
                var fds: [Int32] = [0, 0]
                // pipe2 is not visible from Swift; the driver is single-threaded,
                // so setting FD_CLOEXEC right after pipe() leaks to no other child.
                guard pipe(&fds) == 0 else {
                    throw ProcessError(description: "pipe: \(String(cString: strerror(errno)))")
                }
                for end in fds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
                let (childEnd, parentEnd) = childReads ? (fds[0], fds[1]) : (fds[1], fds[0])
                posix_spawn_file_actions_adddup2(&actions, childEnd, fd)
                closeInParent.append(childEnd)
                return parentEnd
            }
        }
        stdinWrite = try plan(stdin, fd: 0, childReads: true)
        stdoutRead = try plan(stdout, fd: 1, childReads: false)
        _ = try plan(stderr, fd: 2, childReads: false)

        var env: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let pair = String(cString: pointer)
            if let eq = pair.firstIndex(of: "=") {
                env[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
            }
            entry += 1
        }
        for (key, value) in environment { env[key] = value }

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, arguments[0], &actions, nil, argv, envp)
        guard status == 0 else {
            if let fd = stdinWrite { close(fd) }
            if let fd = stdoutRead { close(fd) }
            throw ProcessError(description: "cannot start \(arguments[0]): \(String(cString: strerror(status)))")
        }
        return ChildProcess(
            pid: pid, name: name,
            stdout: stdoutRead.map { LineReader(fd: $0) },
            stdinFD: stdinWrite)
    }

    /// Closes the child's stdin (its signal to stop, for the idle scenario).
    func closeStdin() {
        if let fd = stdinFD {
            close(fd)
            stdinFD = nil
        }
    }

    /// Sends `signal` to this child (only ever to the pid the driver started).
    func send(_ signal: Int32) {
        if exitStatus == nil { kill(pid, signal) }
    }

    /// Reaps the child if it has exited; returns its status, or nil if it runs.
    @discardableResult
    func pollExit() -> Int32? {
        if let status = exitStatus { return status }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exitStatus = status
        }
        return exitStatus
    }

    /// True while the child has not exited.
    var isRunning: Bool { pollExit() == nil }

    /// Waits for the child to exit and reaps it.
    ///
    /// With a stdout pipe, waits for the pipe to close (the child exiting)
    /// until `timeout`, then sends SIGKILL; without one, simply blocks in
    /// `waitpid` (used for short-lived build commands).
    @discardableResult
    func wait(timeout: Duration, draining others: [LineReader] = []) -> Int32 {
        if let status = exitStatus { return status }
        if let reader = stdout {
            let deadline = ContinuousClock.now + timeout
            while !reader.isAtEOF {
                if case .timeout = reader.readLine(until: deadline, draining: others) { break }
            }
            if !reader.isAtEOF && pollExit() == nil {
                kill(pid, SIGKILL)
            }
        }
        if let status = exitStatus { return status }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        exitStatus = status
        return status
    }

    /// Stops the child: SIGTERM, then waits (SIGKILL after `timeout`).
    @discardableResult
    func terminate(timeout: Duration = .seconds(5), draining others: [LineReader] = []) -> Int32 {
        send(SIGTERM)
        return wait(timeout: timeout, draining: others)
    }

    /// Runs a command to completion and returns its stdout lines; throws when
    /// it fails or exceeds `timeout` (its stderr goes to `errorLog`).
    static func output(of arguments: [String], errorLog: String,
                       timeout: Duration = .seconds(600)) throws -> [String] {
        let child = try spawn(name: arguments[0], arguments: arguments, stdout: .pipe, stderr: .file(errorLog))
        var lines: [String] = []
        let deadline = ContinuousClock.now + timeout
        while case .line(let line) = child.stdout!.readLine(until: deadline) { lines.append(line) }
        let status = child.wait(timeout: .seconds(10))
        guard status == 0 else {
            throw ProcessError(description:
                "`\(arguments.joined(separator: " "))` failed (\(describe(status: status)))")
        }
        return lines
    }

    /// Describes a wait status: "exit 0", "signal 11".
    static func describe(status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exit \((status >> 8) & 0xff)" }
        return "signal \(signal)"
    }
}
