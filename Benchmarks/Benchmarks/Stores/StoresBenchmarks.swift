import Benchmark
import Foundation
import MaimoIndex
import MaimoKeystore

/// MaimoKeystore and MaimoIndex: gets, batched puts and lookups per second and allocations per
/// operation, on a scratch directory. The ratios against SQLite are in `maimo-bench --only stores`.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(2))
    let directory = NSTemporaryDirectory() + "maimo-ordo-stores-\(getpid())"
    let keys = (0..<10_000).map { Array("key-\($0)".utf8) }
    let value = [UInt8](repeating: 7, count: 1024)
    let store = try! KeyValueStore(directory: directory + "/keystore")
    var batch = WriteBatch()
    for key in keys { batch.put(key, value) }
    try! store.write(batch)
    let index = try! IndexDatabase(path: directory + "/index.db")
    try! index.write { tx in for key in keys { try tx.put("rows", key, value) } }

    Benchmark("keystore get 1 KiB") { benchmark in
        for i in benchmark.scaledIterations { blackHole(try store.get(keys[i % keys.count])) }
    }
    Benchmark("keystore batch of 100 puts, no sync") { benchmark in
        for i in benchmark.scaledIterations {
            var batch = WriteBatch()
            for j in 0..<100 { batch.put(keys[(i &* 100 &+ j) % keys.count], value) }
            try store.write(batch)
        }
    }
    Benchmark("index point lookup") { benchmark in
        try index.read { tx in
            for i in benchmark.scaledIterations { blackHole(try tx.get("rows", keys[i % keys.count])) }
        }
    }
    Benchmark("index range scan of 100 rows") { benchmark in
        try index.read { tx in
            for i in benchmark.scaledIterations {
                var cursor = try tx.cursor("rows")
                var n = 0
                try cursor.scan(from: keys[i % keys.count]) { _, value in blackHole(value); n += 1; return n < 100 }
            }
        }
    }
}
