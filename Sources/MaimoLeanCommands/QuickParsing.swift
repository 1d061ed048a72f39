import ArgumentParser

/// A command whose most common invocations are recognised without ArgumentParser.
///
/// ArgumentParser takes 1.2–2.2 ms to parse `maimo-hash --num-threads 2 FILE` or `maimo-zstd -d
/// -c FILE` (its reflection over the command's properties and the runtime's first protocol
/// lookups), a cost b3sum and zstd do not have and which a command measured against them pays on
/// every run. `quickParse` accepts only a few plain forms and builds the same command
/// ArgumentParser would (tests compare the two); anything else, help and errors included, is
/// left to ArgumentParser.
package protocol QuickParsing: ParsableCommand {
    /// The command `arguments` describe when they are all in the plain forms this recognises,
    /// each at most once; otherwise nil.
    static func quickParse(_ arguments: ArraySlice<String>) -> Self?
}

extension LeanExecutable where Command: QuickParsing {
    /// Runs the command `arguments` describe, parsed by ``QuickParsing/quickParse(_:)`` when
    /// it can and by ArgumentParser otherwise, with the same validation, output and exit codes.
    package static func main(quickly arguments: [String]) {
        guard var command = Command.quickParse(arguments[...]) else { return main(arguments) }
        do {
            try command.validate()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// Taking plain forms off an argument list: options, their values, and the plain arguments
/// (those that do not start with `-`) between them.
struct QuickArguments {
    private var rest: ArraySlice<String>
    private var seen: Set<String> = []
    /// The plain arguments taken so far, in order.
    private(set) var plain: [String] = []

    init(_ arguments: ArraySlice<String>) { rest = arguments }

    /// The next argument that starts with `-`, after taking the plain ones before it; nil at the end.
    mutating func nextOption() -> String? {
        while let argument = rest.popFirst() {
            if argument.hasPrefix("-") { return argument }
            plain.append(argument)
        }
        return nil
    }

    /// True the first time `option` (one name for all its spellings) is seen.
    mutating func once(_ option: String) -> Bool { seen.insert(option).inserted }

    /// The value after an option: a non-empty argument that does not start with `-`, or nil.
    mutating func value() -> String? {
        guard let value = rest.popFirst(), !value.isEmpty, !value.hasPrefix("-") else { return nil }
        return value
    }

    /// A decimal integer of at most nine digits after an optional `-`, or nil.
    static func integer<Text: StringProtocol>(_ text: Text) -> Int? {
        let digits = text.hasPrefix("-") ? text.dropFirst() : text[...]
        guard !digits.isEmpty, digits.count <= 9, digits.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return Int(String(text))
    }
}
