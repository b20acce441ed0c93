import Foundation
import Testing

/// net-echo behind the real balancers, HAProxy (`send-proxy`, `send-proxy-v2`) and nginx's stream
/// module (`proxy_protocol on`), each started here on loopback ports with a generated config and
/// stopped by its pid: the client's bytes echo byte-exact, the server logs the client's own
/// address and port, and a client on its block list is refused. `make test` installs both.
@Suite(.serialized) struct BalancerTests {
    enum Balancer: String, CaseIterable, Sendable {
        case haproxyV1 = "haproxy send-proxy"
        case haproxyV2 = "haproxy send-proxy-v2"
        case nginx = "nginx proxy_protocol"
    }

    /// Writes the balancer's config for `listen` → 127.0.0.1:`backend` and starts it.
    static func start(_ balancer: Balancer, listen: Int, backend: Int, dir: URL) throws -> ChildProcess? {
        switch balancer {
        case .haproxyV1, .haproxyV2:
            let haproxy = try #require(installed(["/usr/sbin/haproxy", "/usr/bin/haproxy"]),
                                       "haproxy is not installed (make test installs it)")
            let config = """
                global
                    maxconn 64
                defaults
                    mode tcp
                    timeout connect 5s
                    timeout client 30s
                    timeout server 30s
                frontend echo_in
                    bind 127.0.0.1:\(listen)
                    default_backend echo_out
                backend echo_out
                    server echo 127.0.0.1:\(backend) \(balancer == .haproxyV1 ? "send-proxy" : "send-proxy-v2")

                """
            let path = dir.appendingPathComponent("haproxy.cfg").path
            try config.write(toFile: path, atomically: true, encoding: .utf8)
            // -db: stay in the foreground, so the pid is haproxy's own.
            return ChildProcess(haproxy, ["-db", "-f", path])
        case .nginx:
            let nginx = try #require(installed(["/usr/sbin/nginx", "/usr/bin/nginx"]), "nginx is not installed (make test installs it)")
            let modulePath = "/usr/lib/nginx/modules/ngx_stream_module.so"
            try #require(FileManager.default.fileExists(atPath: modulePath),
                         "nginx's stream module is not installed (make test installs libnginx-mod-stream)")
            let module = modulePath
            let d = dir.path
            let config = """
                load_module \(module);
                daemon off;
                master_process off;
                worker_processes 1;
                pid \(d)/nginx.pid;
                error_log \(d)/error.log warn;
                events { worker_connections 64; }
                stream {
                    server {
                        listen 127.0.0.1:\(listen);
                        proxy_pass 127.0.0.1:\(backend);
                        proxy_protocol on;
                        # Pass the client's end of sending on, so the echo's tail comes back.
                        proxy_half_close on;
                    }
                }

                """
            let path = dir.appendingPathComponent("nginx.conf").path
            try config.write(toFile: path, atomically: true, encoding: .utf8)
            return ChildProcess(nginx, ["-e", "\(d)/error.log", "-p", d, "-c", path])
        }
    }

    @Test(arguments: Balancer.allCases)
    func echoesThroughTheBalancerWithTheClientsAddress(_ balancer: Balancer) throws {
        let echoPath = builtProduct("net-echo")
        try #require(FileManager.default.isExecutableFile(atPath: echoPath), "net-echo is not built at \(echoPath)")
        let dir = try temporaryDirectory("swift-net-balancer")
        defer { try? FileManager.default.removeItem(at: dir) }
        let echo = try #require(ChildProcess(echoPath, [
            "--port", "0", "--host", "127.0.0.1", "--proxy-protocol", "either", "--log-connections",
            "--trusted-proxy", "127.0.0.1", "--block", "127.0.0.3",
        ]))
        defer { echo.stop() }
        let backend = try #require(ChildProcess.port(fromListeningLine: echo.readLine()), "net-echo did not say where it listens")

        // A free port for the balancer; taken again by someone else in between, try another. A
        // balancer that cannot bind exits at once, while whoever took the port answers on it:
        // so the port must answer and the balancer still run a moment later.
        var proxy: ChildProcess?
        var front = 0
        for _ in 0..<5 {
            front = closedPort()
            proxy = try Self.start(balancer, listen: front, backend: backend, dir: dir)
            if waitForListener(port: front), proxy?.waitForExit(timeout: 0.5) == nil { break }
            proxy?.stop()
            proxy = nil
        }
        let running = try #require(proxy, "\(balancer.rawValue) did not start listening")
        defer { running.stop() }

        // A blocked client (by the address the balancer saw) gets nothing back.
        let blocked = try #require(BlockingClient(from: "127.0.0.3", to: front))
        #expect(blocked.echo(Array("let me in".utf8)).isEmpty, "a blocked client was served")

        // A client from 127.0.0.2: byte-exact echo, logged with its own address and port.
        let client = try #require(BlockingClient(from: "127.0.0.2", to: front))
        let bytes = patternBytes(300_000, seed: 42)
        let echoed = client.echo(bytes)
        #expect(echoed.count == bytes.count)
        let same = echoed == bytes
        #expect(same, "the echo through \(balancer.rawValue) differs from what was sent")

        // The readiness probes came from 127.0.0.1; the blocked client must never appear.
        let expected = "connection from 127.0.0.2:\(client.localPort)"
        var lines: [String] = []
        while let line = echo.readLine(timeout: 5) {
            lines.append(line)
            if line == expected { break }
        }
        #expect(lines.last == expected, "net-echo logged \(lines), not \(expected)")
        #expect(!lines.contains { $0.contains("127.0.0.3") }, "the blocked client reached 'connection': \(lines)")
    }
}
