import NIOCore
import NIOPosix

/// The echo: every buffer read is written straight back; the writes of one read burst go out
/// with one flush when the burst ends, so NIO can gather them into one `writev`.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // No promise: nobody waits on a single echo, and none saves an allocation.
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// The default mode: `BackPressureHandler` stops reading while the connection cannot write
/// (the other servers also stop reading while a write is pending), then `EchoHandler`.
func runEcho(group: MultiThreadedEventLoopGroup, options: Options) throws {
    let server = try ServerBootstrap(group: group)
        .benchmarkOptions(options)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandlers(BackPressureHandler(), EchoHandler())
            }
        }
        .bind(options)
    announce(server.localAddress, options: options)
    try server.closeFuture.wait()
}
