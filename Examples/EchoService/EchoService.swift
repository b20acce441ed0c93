// net-echo-service: the echo server as a swift-service-lifecycle service. SIGTERM or SIGINT
// closes it gracefully: no new connections, and the process exits once the open ones end.
//
//   net-echo-service [PORT]
import Logging
import NetCore
import NetServiceLifecycle
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

@main
struct EchoService {
    static func main() async throws {
        let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 8124
        let logger = Logger(label: "net-echo-service")

        let echo = ServerService(port: port, host: "127.0.0.1", logger: logger, onListening: { port in
            print("echo service listening on port \(port)")
            fflush(nil)  // out at once, also when our output is a pipe
        }) { socket in
            socket.pipe(socket)
        }
        let services = ServiceGroup(services: [echo], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await services.run()
    }
}
