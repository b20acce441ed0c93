// swift-tools-version:6.0
// The SwiftNIO echo servers of the benchmark (`nio-echo`), in a package of their own so that
// swift-net itself never depends on swift-nio. `net-bench` builds it with
// `swift build -c release --package-path Benchmarks/nio-echo --product nio-echo`.
import PackageDescription

let package = Package(
    name: "nio-echo",
    products: [
        .executable(name: "nio-echo", targets: ["NIOEcho"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "NIOEcho",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
