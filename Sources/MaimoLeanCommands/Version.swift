/// The version every Maimo executable prints for `--version`.
package let maimoVersion = "0.2.0-dev (unreleased changes since 0.1.0; see CHANGELOG.md)"

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What every Maimo executable does first: a parent may have blocked SIGINT and SIGTERM (test
/// runners do, and children inherit the mask), and maimo must stop when asked; past a file size
/// limit (`ulimit -f`) a write fails with EFBIG, reported with its path like a full disk,
/// instead of the signal killing the process in the middle of a write.
package func prepareProcess() {
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGINT)
    sigaddset(&signals, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    signal(SIGXFSZ, SIG_IGN)
}
