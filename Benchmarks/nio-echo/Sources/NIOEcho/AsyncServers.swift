import NIOCore
import NIOHTTP1
import NIOPosix

extension ServerBootstrap {
    /// Binds an NIOAsyncChannel server where the options ask for it; `wrap` turns each accepted
    /// channel into the child's async channel, on its event loop.
    func bindAsync<Child: Sendable>(
        _ options: Options, wrap: @escaping @Sendable (Channel) throws -> Child
    ) async throws -> NIOAsyncChannel<Child, Never> {
        let initializer: @Sendable (Channel) -> EventLoopFuture<Child> = { channel in
            channel.eventLoop.makeCompletedFuture { try wrap(channel) }
        }
        if let path = options.path {
            return try await bind(
                unixDomainSocketPath: path, cleanupExistingSocketFile: true, childChannelInitializer: initializer)
        }
        return try await bind(host: options.host, port: options.port, childChannelInitializer: initializer)
    }
}

/// Accepts connections for as long as the server runs, each handled by its own child task of a
/// discarding task group (finished children are dropped at once); a connection's error ends that
/// connection only.
func serveEach<Child: Sendable>(
    _ server: NIOAsyncChannel<Child, Never>, options: Options,
    _ handle: @escaping @Sendable (Child) async throws -> Void
) async throws {
    announce(server.channel.localAddress, options: options)
    try await withThrowingDiscardingTaskGroup { group in
        try await server.executeThenClose { connections in
            for try await connection in connections {
                group.addTask {
                    try? await handle(connection)
                }
            }
        }
    }
}

/// `--async`: the echo as a NIO async user writes it.
func runAsyncEcho(group: MultiThreadedEventLoopGroup, options: Options) async throws {
    let server = try await ServerBootstrap(group: group)
        .benchmarkOptions(options)
        .bindAsync(options) { channel in
            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
        }
    try await serveEach(server, options: options) { connection in
        try await connection.executeThenClose { inbound, outbound in
            for try await chunk in inbound {
                try await outbound.write(chunk)
            }
        }
    }
}

/// `--http --async`: NIOHTTP1's server pipeline under an NIOAsyncChannel; each request's
/// response goes out as one write of head, body and end.
func runAsyncHTTP(group: MultiThreadedEventLoopGroup, options: Options) async throws {
    let server = try await ServerBootstrap(group: group)
        .benchmarkOptions(options)
        .bindAsync(options) { channel in
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                wrappingChannelSynchronously: channel)
        }
    let response: [HTTPServerResponsePart] = [
        .head(FixedResponse.head), .body(.byteBuffer(FixedResponse.body)), .end(nil),
    ]
    try await serveEach(server, options: options) { connection in
        try await connection.executeThenClose { inbound, outbound in
            var keepAlive = true
            for try await part in inbound {
                switch part {
                case .head(let request):
                    keepAlive = request.isKeepAlive
                case .body:
                    break
                case .end:
                    try await outbound.write(contentsOf: response)
                    if !keepAlive { return }
                }
            }
        }
    }
}
