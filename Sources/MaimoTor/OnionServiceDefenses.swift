/// Tor's own denial-of-service limits for an onion service published with
/// ``TorControl/addOnion(key:ports:detach:clientAuthorization:defenses:)`` (control-spec,
/// ADD_ONION): they act inside tor, before a connection reaches the service.
public struct OnionServiceDefenses: Sendable, Equatable {
    /// Streams one rendezvous circuit may have open at once (`MaxStreams=`, 0–65535).
    public var maxStreams: Int?
    /// Close the whole circuit of a client that asks for more (`MaxStreamsCloseCircuit`),
    /// instead of refusing only the stream.
    public var closeCircuitOnMaxStreams: Bool
    /// Ask clients for a proof of work when the service's introduction queue fills
    /// (`PoWDefensesEnabled=1`, tor 0.4.8 and later, built with its PoW module).
    public var proofOfWork: Bool

    /// Defenses as given; the defaults add none of tor's limits.
    public init(maxStreams: Int? = nil, closeCircuitOnMaxStreams: Bool = false, proofOfWork: Bool = false) {
        self.maxStreams = maxStreams
        self.closeCircuitOnMaxStreams = closeCircuitOnMaxStreams
        self.proofOfWork = proofOfWork
    }

    /// Tor's defaults: no limit of Maimo's own.
    public static let none = OnionServiceDefenses()

    /// What a Maimo provider asks for: as many streams per circuit as it lets one client hold
    /// sessions (64; a client that wants more loses its circuit), and proof of work under load.
    public static let provider = OnionServiceDefenses(maxStreams: 64, closeCircuitOnMaxStreams: true, proofOfWork: true)
}
