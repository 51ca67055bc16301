// RemoteQueries: query_sm and cancel_sm for a message another node issued (issue 15). The id's
// instance field names its owner; the asking node sends the request to the owner's stream
// and answers its client when the reply comes back, or with ESME_RQUERYFAIL /
// ESME_RCANCELFAIL after `timeoutMs` (the owner is down). The owner answers from its own
// store; a cancel's reply leaves once the cancel is durable there. Loop thread only; nothing
// of it survives a kill -9 (a client whose answer was lost asks again).
import Cluster
import Reactor
import SMPP
import Store

final class RemoteQueries {
    private let coordinator: ClusterCoordinator
    /// How long the asking node waits for the owner.
    static let timeoutMs: Int64 = 2_000

    /// A session waiting for the owner's answer.
    private struct Waiting {
        /// Strong until the answer or the deadline (2 s): a weak reference would give the Session
        /// a side table (see Connection.delegate). A closed session ignores the answer.
        var session: Session
        var header: PDUHeader
        var kind: RemoteRequest.Kind
        var messageID: [UInt8]
        var deadline: Int64
    }
    private var waiting: [UInt64: Waiting] = [:]
    private var nextCorrelation: UInt64 = 1
    /// Cancel replies waiting for their batch to be durable on this node.
    private var afterCommit: [(batch: UInt64, node: Int, reply: RemoteReply)] = []

    private(set) var asked = 0
    private(set) var answered = 0

    init(coordinator: ClusterCoordinator) {
        self.coordinator = coordinator
    }

    /// The node that issued `id`, when it is another node of the cluster.
    func owner(of id: MessageID) -> Int? {
        let node = MessageIDGenerator.instance(of: id)
        return node == coordinator.settings.node ? nil : node
    }

    /// Sends the question to the owner; false when there is none to ask (the caller answers).
    func ask(_ kind: RemoteRequest.Kind, id: MessageID, text: [UInt8], account: String, session: Session, header: PDUHeader,
             now: Int64) -> Bool {
        guard let node = owner(of: id), coordinator.isAvailable else { return false }
        let correlation = nextCorrelation
        nextCorrelation += 1
        waiting[correlation] = Waiting(session: session, header: header, kind: kind, messageID: text, deadline: now + Self.timeoutMs)
        asked += 1
        let request = RemoteRequest(kind: kind, from: coordinator.settings.node, correlation: correlation, account: account,
                                    messageID: String(decoding: text, as: UTF8.self))
        coordinator.send(request, to: node) { [weak self] ok in
            if !ok { self?.fail(correlation) }
        }
        return true
    }

    /// The owner's reply.
    func replied(_ reply: RemoteReply) {
        guard let w = waiting.removeValue(forKey: reply.correlation) else { return }   // timed out already
        answered += 1
        w.session.answerRemote(w.kind, header: w.header, messageID: w.messageID, reply: reply)
    }

    private func fail(_ correlation: UInt64) {
        guard let w = waiting.removeValue(forKey: correlation) else { return }
        w.session.answerRemote(w.kind, header: w.header, messageID: w.messageID, reply: nil)
    }

    /// Housekeeping: requests the owner did not answer in time are answered as failed.
    func sweep(now: Int64) {
        guard !waiting.isEmpty else { return }
        for (correlation, w) in waiting where w.deadline <= now { fail(correlation) }
    }

    /// The owner's side: answer now, or once `batch` is durable (a cancel in durable mode).
    func reply(_ reply: RemoteReply, to node: Int, after batch: UInt64, durable: UInt64) {
        if batch <= durable {
            coordinator.send(reply, to: node)
        } else {
            afterCommit.append((batch, node, reply))
        }
    }

    /// The journal made `durable` durable: replies that waited for it go.
    func committed(through durable: UInt64) {
        guard !afterCommit.isEmpty else { return }
        afterCommit.removeAll { item in
            guard item.batch <= durable else { return false }
            coordinator.send(item.reply, to: item.node)
            return true
        }
    }
}

extension MessageService {
    /// Another node asks about one of this node's messages: answered from the store.
    func answerRemote(_ request: RemoteRequest) {
        guard let cluster else { return }
        let queries = cluster.queries
        let fail = RemoteReply(correlation: request.correlation,
                               status: (request.kind == .query ? CommandStatus.ESME_RQUERYFAIL : .ESME_RCANCELFAIL).rawValue)
        guard let id = MessageID(parsing: request.messageID, format: settings.idFormat), queries.owner(of: id) == nil else {
            return queries.reply(fail, to: request.from, after: 0, durable: 0)
        }
        let account = ShortBytes(truncating: request.account.utf8)
        switch request.kind {
        case .query:
            guard let record = store.lookup(id, systemID: account) else { return queries.reply(fail, to: request.from, after: 0, durable: 0) }
            let finalDate = record.finalTime.map { String(decoding: SMPPTime.absolute(unixMs: $0), as: UTF8.self) } ?? ""
            queries.reply(RemoteReply(correlation: request.correlation, status: CommandStatus.ESME_ROK.rawValue, state: record.state.rawValue,
                                      errorCode: UInt8(truncatingIfNeeded: record.errorCode), finalDate: finalDate),
                          to: request.from, after: 0, durable: 0)
        case .cancel:
            let status = cancel(id, systemID: account)
            let reply = RemoteReply(correlation: request.correlation, status: status.rawValue)
            queries.reply(reply, to: request.from, after: status == .ESME_ROK ? requiredJournalBatch : 0,
                          durable: durable?.journal.durableSequence ?? .max)
        }
    }
}
