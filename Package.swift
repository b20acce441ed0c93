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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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
            ],
            exclude: ["README.md"]
        ),
        .target(name: "NetExtras", dependencies: ["NetCore"]),
        .target(name: "Net", dependencies: ["NetCore", "NetExtras"]),
        .executableTarget(
            name: "NetEcho",
            dependencies: ["Net", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/NetEcho"
        ),
        .executableTarget(
            name: "NetBench",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/NetBench"
        ),
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
        .target(name: "NetTestSupport", path: "Tests/NetTestSupport"),
        .testTarget(name: "NetCoreTests", dependencies: ["NetCore", "Net", "CMallocCounter", "NetTestSupport"]),
        .testTarget(name: "NetExtrasTests", dependencies: ["NetExtras", "NetCore", "NetTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
