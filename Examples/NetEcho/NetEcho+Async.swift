import Net
#if canImport(Glibc)
import Glibc
#endif

extension NetEcho {
    /// `--async`: the same echo through the async face. One task on the loop accepts; each
    /// connection is a child task that owns it. The loop runs on the main thread, as in the
    /// callback version, so no await crosses threads.
    func runAsync() {
        let loop = EventLoop.default
        loop.onUnhandledError = { _, _ in }
        let (host, port, greeting, http) = (self.host, self.port, self.greeting, self.http)
        // As Node's http module does: small responses go out at once.
        let options = ServerOptions(noDelay: http)
        let path = self.path.map { $0.hasPrefix("@") ? "\0" + $0.dropFirst() : $0 }
        loop.spawn {
            let server: AsyncServer
            do {
                if let path {
                    server = try await Net.listen(unixDomainSocketPath: path, options: options, loop: loop)
                } else {
                    server = try await Net.listen(host: host, port: port, options: options, loop: loop)
                }
            } catch {
                FileHandleOutput.write("net-echo: \(error)\n", fd: 2)
                Glibc.exit(1)
            }
            switch try? await server.address() {
            case .inet(let a)?:
                FileHandleOutput.write("listening \(a.family == "IPv6" ? "[\(a.address)]" : a.address):\(a.port)\n", fd: 1)
            case .path(let p)?:
                FileHandleOutput.write("listening \(p.hasPrefix("\0") ? "@" + p.dropFirst() : p)\n", fd: 1)
            case nil:
                break
            }
            await withDiscardingTaskGroup { group in
                do {
                    for try await connection in server.connections {
                        group.addTask {
                            do {
                                if greeting { try await connection.write("hello\r\n") }
                                if http {
                                    try await HelloResponder.serve(connection)
                                } else {
                                    for try await chunk in connection { try await connection.write(chunk) }
                                }
                            } catch {}  // a peer that resets is no news for an echo server
                        }
                    }
                } catch {}
            }
        }
        // SIGINT or SIGTERM ends the process at once, with status 0 (the watchers also unblock
        // a signal inherited blocked from the parent).
        let watchers = [SIGINT, SIGTERM].map { SignalWatcher($0, loop: loop) { Glibc.exit(0) } }
        withExtendedLifetime(watchers) { loop.run() }
    }
}
