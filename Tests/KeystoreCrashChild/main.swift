// The child of the keystore crash tests. It opens the store with small segments (so that
// rotation, blobs and compaction all happen often), writes the batches of `CrashWorkload` from
// a given index on, and prints `ack N` after batch N's write returned, until it is killed.
//
// usage: maimo-kv-crash-child DIRECTORY SEED FIRST-INDEX [FILE-SIZE-LIMIT]
// With a file size limit (RLIMIT_FSIZE), writes past it fail as on a full disk: the child
// reports the error and exits 3.
import Foundation
import MaimoIndex
import MaimoKeystore
import MaimoTestSupport

// `maimo-kv-crash-child index FILE SEED FIRST-INDEX`: the same batches as MaimoIndex write
// transactions on table "t", `ack N` after transaction N committed.
if CommandLine.arguments.count == 5, CommandLine.arguments[1] == "index",
   let seed = UInt64(CommandLine.arguments[3]), let first = Int(CommandLine.arguments[4]) {
    do {
        let db = try IndexDatabase(path: CommandLine.arguments[2])
        var index = first
        while true {
            try db.write { transaction in
                try transaction.createTable("t")
                for operation in CrashWorkload.batch(seed: seed, index: index) {
                    if let value = operation.value {
                        try transaction.put("t", operation.key, value)
                    } else if try transaction.get("t", operation.key) != nil {
                        try transaction.delete("t", operation.key)
                    }
                }
            }
            FileHandle.standardOutput.write(Data("ack \(index)\n".utf8))
            index += 1
        }
    } catch {
        FileHandle.standardError.write(Data("crash child: \(error)\n".utf8))
        exit(1)
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 4 || arguments.count == 5, let seed = UInt64(arguments[2]), let first = Int(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: maimo-kv-crash-child DIRECTORY SEED FIRST-INDEX\n".utf8))
    exit(2)
}
if arguments.count == 5, let limit = UInt64(arguments[4]) {
    signal(SIGXFSZ, SIG_IGN)
    var bound = rlimit(rlim_cur: rlim_t(limit), rlim_max: rlim_t(limit))
    setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &bound)
}
var options = KeyValueStore.Options()
options.segmentSize = 32 << 10
options.blobThreshold = 2048
options.blobFrameSize = 1024
options.compactionThreshold = 0.3
func acknowledge(_ index: Int) {
    FileHandle.standardOutput.write(Data("ack \(index)\n".utf8))
}
do {
    let store = try KeyValueStore(directory: arguments[1], options: options)
    var index = first
    while true {
        let operations = CrashWorkload.batch(seed: seed, index: index)
        if operations.count == 1, let value = operations[0].value, value.count > 2048 {
            // A single large put goes through the streaming writer, in uneven pieces.
            let writer = try store.makeWriter(for: operations[0].key)
            var position = 0
            while position < value.count {
                let step = min(value.count - position, 1 + (position * 7919) % 5000)
                try writer.write(Array(value[position..<position + step]))
                position += step
            }
            try writer.commit()
        } else {
            var batch = WriteBatch()
            for operation in operations {
                if let value = operation.value { batch.put(operation.key, value) } else { batch.delete(operation.key) }
            }
            try store.write(batch)
        }
        acknowledge(index)
        if index % 97 == 0 { try store.compact() }
        index += 1
    }
} catch {
    FileHandle.standardError.write(Data("crash child: \(error)\n".utf8))
    if case KeystoreError.diskFull = error { exit(3) }
    exit(1)
}
