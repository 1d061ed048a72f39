import Foundation
import Maimo

/// What a provider has staged: one entry per partial upload, in progress or abandoned, each
/// reserving the stored size its `PUT` announced. Staged bytes count against the client's quota
/// like stored ones, so that starting and abandoning uploads cannot fill the disk, and N
/// sessions cannot each begin a quota-sized blob before any of them commits. The provider keeps
/// it under its lock.
struct StagingLedger {
    struct Entry {
        var client: [UInt8]
        /// The stored size the upload announced (or, found on disk at start, what is staged).
        var reserved: UInt64
        var active: Bool
        var touched: Date
    }

    /// Blob key (`"b" ‖ client ‖ root`) → entry.
    private(set) var entries: [[UInt8]: Entry] = [:]

    /// The bytes `client`'s staged uploads reserve, but for `key`'s.
    func reserved(by client: [UInt8], except key: [UInt8]) -> UInt64 {
        entries.reduce(0) { $0 + ($1.key != key && $1.value.client == client ? $1.value.reserved : 0) }
    }

    /// How many uploads `client` has staged, but `key`.
    func count(of client: [UInt8], except key: [UInt8]) -> Int {
        entries.reduce(0) { $0 + ($1.key != key && $1.value.client == client ? 1 : 0) }
    }

    /// `client`'s abandoned upload touched longest ago, but `key`.
    func oldestInactive(of client: [UInt8], except key: [UInt8]) -> [UInt8]? {
        entries.filter { $0.key != key && $0.value.client == client && !$0.value.active }
            .min { $0.value.touched < $1.value.touched }?.key
    }

    func isActive(_ key: [UInt8]) -> Bool { entries[key]?.active == true }

    mutating func begin(_ key: [UInt8], client: [UInt8], reserved: UInt64, now: Date) {
        entries[key] = Entry(client: client, reserved: reserved, active: true, touched: now)
    }

    /// Records what is on disk at start (inactive).
    mutating func found(_ key: [UInt8], client: [UInt8], staged: UInt64, touched: Date) {
        entries[key] = Entry(client: client, reserved: staged, active: false, touched: touched)
    }

    /// An upload ended: kept for a resume (inactive), or gone (committed, dropped, empty).
    mutating func end(_ key: [UInt8], kept: Bool, now: Date) {
        if kept {
            entries[key]?.active = false
            entries[key]?.touched = now
        } else {
            entries[key] = nil
        }
    }

    mutating func remove(_ key: [UInt8]) { entries[key] = nil }

    /// Removes and returns the abandoned uploads touched before `cutoff`, or of clients for which
    /// `keep` says no.
    mutating func sweep(before cutoff: Date, keep: ([UInt8]) -> Bool) -> [[UInt8]] {
        let gone = entries.filter { !$0.value.active && ($0.value.touched < cutoff || !keep($0.value.client)) }.map(\.key)
        for key in gone { entries[key] = nil }
        return gone
    }
}
