// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swift-net",
    products: [
        .library(name: "Net", targets: ["Net"]),
        .library(name: "NetCore", targets: ["NetCore"]),
        .library(name: "NetExtras", targets: ["NetExtras"]),
        .executable(name: "net-echo", targets: ["NetEcho"]),
        .executable(name: "net-bench", targets: ["NetBench"]),
        .executable(name: "net-loadgen", targets: ["NetLoadgen"]),
        .library(name: "NetServiceLifecycle", targets: ["NetServiceLifecycle"]),
        .executable(name: "net-chat", targets: ["Chat"]),
        .executable(name: "net-proxy", targets: ["Proxy"]),
        .executable(name: "net-http", targets: ["HTTPResponder"]),
        .executable(name: "net-behind-balancer", targets: ["BehindBalancer"]),
        .executable(name: "net-unix", targets: ["UnixSocket"]),
        .executable(name: "net-echo-faces", targets: ["EchoFaces"]),
        .executable(name: "net-echo-service", targets: ["EchoService"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]
        ),
        .target(
            name: "NetCore",
            dependencies: [
                "CUV",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"]
        ),
        .target(name: "NetExtras", dependencies: ["NetCore"]),
        .target(name: "Net", dependencies: ["NetCore", "NetExtras"]),
        .target(
            name: "NetServiceLifecycle",
            dependencies: [
                "NetCore",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "NetEcho",
            dependencies: ["Net", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/NetEcho"
        ),
        .executableTarget(name: "AsyncEcho", dependencies: ["Net"], path: "Examples/AsyncEcho"),
        .executableTarget(name: "EntryTopLevel", dependencies: ["Net"], path: "Tests/EntryPoints/TopLevel"),
        .executableTarget(name: "EntryTopLevelAwait", dependencies: ["Net"], path: "Tests/EntryPoints/TopLevelAwait"),
        .executableTarget(
            name: "EntryTopLevelSpawn", dependencies: ["Net"], path: "Tests/EntryPoints/TopLevelSpawn"),
        .executableTarget(
            name: "NetBench",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/NetBench"
        ),
        .executableTarget(
            name: "NetLoadgen",
            dependencies: ["Net", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/NetLoadgen"
        ),
        // The examples the README quotes; each is built by `make test` and run by ExampleSmokeTests.
        .executableTarget(name: "Chat", dependencies: ["Net"], path: "Examples/Chat"),
        .executableTarget(name: "Proxy", dependencies: ["Net"], path: "Examples/Proxy"),
        .executableTarget(name: "HTTPResponder", dependencies: ["Net"], path: "Examples/HTTPResponder"),
        .executableTarget(name: "BehindBalancer", dependencies: ["Net"], path: "Examples/BehindBalancer"),
        .executableTarget(name: "UnixSocket", dependencies: ["Net"], path: "Examples/UnixSocket"),
        .executableTarget(name: "EchoFaces", dependencies: ["Net"], path: "Examples/EchoFaces"),
        .executableTarget(
            name: "EchoService",
            dependencies: [
                "NetServiceLifecycle",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/EchoService"
        ),
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
        .target(name: "NetTestSupport", path: "Tests/NetTestSupport"),
        .testTarget(
            name: "NetCoreTests",
            dependencies: [
                "NetCore", "Net", "CMallocCounter", "NetTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "NetExtrasTests", dependencies: ["NetExtras", "NetCore", "NetTestSupport"]),
        .testTarget(
            name: "NetServiceLifecycleTests",
            dependencies: [
                "NetServiceLifecycle", "Net",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
