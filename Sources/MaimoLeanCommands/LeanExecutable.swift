import ArgumentParser

/// A `maimo` subcommand as an executable of its own, named `maimo-<subcommand>` (`maimo-hash`,
/// `maimo-zstd`): the same arguments, help, output and exit codes, and `--version`.
package struct LeanExecutable<Command: ParsableCommand>: ParsableCommand {
    package static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "maimo-" + (Command.configuration.commandName ?? "command"),
            abstract: Command.configuration.abstract, discussion: Command.configuration.discussion,
            version: maimoVersion)
    }

    @OptionGroup var command: Command

    package init() {}

    package mutating func validate() throws { try command.validate() }

    package mutating func run() throws { try command.run() }
}
