import Testing
import Foundation

/// The README's Swift snippets are copies of compiled example programs: each ```swift block is
/// preceded by `<!-- from PATH -->` and its lines appear in that file in the same order, in runs
/// of consecutive lines split where the snippet says `// …` (indentation and blank lines aside).
/// A block marked `<!-- not compiled here: … -->` is exempt.
@Suite struct ReadmeSnippetTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Snippet {
        let source: String?
        let lines: [String]
        let line: Int
    }

    /// The ```swift blocks of `markdown`, each with the path its marker names.
    static func snippets(_ markdown: String) -> [Snippet] {
        let lines = markdown.components(separatedBy: "\n")
        var result: [Snippet] = []
        var i = 0
        while i < lines.count {
            guard lines[i] == "```swift" else { i += 1; continue }
            let marker = lines[..<i].last { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? ""
            let end = lines[(i + 1)...].firstIndex(of: "```") ?? lines.count
            let source: String? = marker.hasPrefix("<!-- from ")
                ? String(marker.dropFirst("<!-- from ".count).dropLast(" -->".count)) : nil
            let exempt = marker.hasPrefix("<!-- not compiled here: ")
            result.append(Snippet(source: exempt ? "" : source, lines: Array(lines[(i + 1)..<end]), line: i + 1))
            i = end + 1
        }
        return result
    }

    /// The lines of `text` without indentation, blank lines left out.
    static func trimmed(_ lines: [String]) -> [String] {
        lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Whether the runs of `snippet` (split at `// …`) appear in `file` in order, each run as
    /// consecutive lines.
    static func appears(_ snippet: [String], in file: [String]) -> Bool {
        let runs = trimmed(snippet).split(separator: "// …", omittingEmptySubsequences: true)
        var from = 0
        for run in runs {
            guard let at = (from..<max(from, file.count - run.count + 1)).first(where: {
                Array(file[$0..<($0 + run.count)]) == Array(run)
            }) else { return false }
            from = at + run.count
        }
        return true
    }

    @Test func everyReadmeSnippetIsCopiedFromACompiledExample() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let snippets = Self.snippets(readme)
        #expect(snippets.count >= 5, "found only \(snippets.count) Swift snippets in the README")
        for snippet in snippets {
            guard let source = snippet.source else {
                Issue.record("README line \(snippet.line): a swift block without a <!-- from PATH --> marker")
                continue
            }
            if source.isEmpty { continue }
            #expect(source.hasPrefix("Examples/"), "README line \(snippet.line): \(source) is not an example")
            let text = try String(contentsOf: Self.root.appendingPathComponent(source), encoding: .utf8)
            let file = Self.trimmed(text.components(separatedBy: "\n"))
            #expect(Self.appears(snippet.lines, in: file), "README line \(snippet.line): the snippet no longer matches \(source)")
        }
    }

    /// The documentation articles' snippets that name an example (`<!-- from PATH -->`) are
    /// held to the same rule; the others are sketches the articles explain.
    @Test func everyArticleSnippetThatNamesAnExampleMatchesIt() throws {
        let articles = Self.root.appendingPathComponent("Sources/NetCore/NetCore.docc")
        let names = try FileManager.default.contentsOfDirectory(atPath: articles.path).filter { $0.hasSuffix(".md") }
        var checked = 0
        for name in names {
            let markdown = try String(contentsOf: articles.appendingPathComponent(name), encoding: .utf8)
            for snippet in Self.snippets(markdown) {
                guard let source = snippet.source, !source.isEmpty else { continue }
                let text = try String(contentsOf: Self.root.appendingPathComponent(source), encoding: .utf8)
                let file = Self.trimmed(text.components(separatedBy: "\n"))
                #expect(Self.appears(snippet.lines, in: file), "\(name) line \(snippet.line): the snippet no longer matches \(source)")
                checked += 1
            }
        }
        #expect(checked >= 1, "no article snippet names an example")
    }

    @Test func theCheckNoticesASnippetThatDrifted() {
        let file = Self.trimmed(["let a = 1", "    let b = 2", "", "let c = 3", "let d = 4"])
        #expect(Self.appears(["let a = 1", "let b = 2"], in: file))
        #expect(Self.appears(["let a = 1", "// …", "let d = 4"], in: file))
        #expect(!Self.appears(["let a = 1", "let c = 3"], in: file), "a skipped line needs // …")
        #expect(!Self.appears(["let d = 4", "// …", "let a = 1"], in: file), "runs keep their order")
        #expect(!Self.appears(["let b = 3"], in: file))
    }
}
