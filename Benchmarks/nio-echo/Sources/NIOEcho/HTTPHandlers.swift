import NIOCore
import NIOHTTP1
import NIOPosix

/// The one response of the HTTP row, the same bytes from every server:
/// `HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, world!`.
enum FixedResponse {
    static let head = HTTPResponseHead(
        version: .http1_1, status: .ok,
        headers: HTTPHeaders([("Content-Length", "13"), ("Content-Type", "text/plain")]))
    static let body = ByteBuffer(string: "Hello, world!")
}

/// Answers every request, whatever its method and path, once it has been read in full
/// (`.end`); keeps the connection open when the request allows it and closes it otherwise.
final class HelloHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var keepAlive = true

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            keepAlive = request.isKeepAlive
        case .body:
            break
        case .end:
            context.write(wrapOutboundOut(.head(FixedResponse.head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(FixedResponse.body))), promise: nil)
            if keepAlive {
                context.write(wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                let close = context.eventLoop.makePromise(of: Void.self)
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                close.futureResult.whenComplete { _ in loopBound.value.close(promise: nil) }
                context.write(wrapOutboundOut(.end(nil)), promise: close)
            }
        }
    }

    /// One flush per read burst, as the echo does: pipelined requests share one `writev`.
    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// `--http`: NIOHTTP1's server pipeline (request decoder, response encoder, pipelining and
/// error handlers), then `HelloHandler`.
func runHTTP(group: MultiThreadedEventLoopGroup, options: Options) throws {
    let server = try ServerBootstrap(group: group)
        .benchmarkOptions(options)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                try channel.pipeline.syncOperations.addHandler(HelloHandler())
            }
        }
        .bind(options)
    announce(server.localAddress, options: options)
    try server.closeFuture.wait()
}
