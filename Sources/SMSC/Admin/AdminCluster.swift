// The cluster's figures on /metrics (issue 15): whether Redis answers, and what crossed nodes.
// Loop thread only.
import Admin

extension SMSCServer {
    /// `cluster` in /v1/stats; nil when the node runs alone.
    func clusterJSON() -> JSONOut? {
        guard let cluster = messages.cluster else { return nil }
        var fields: [(String, JSONOut)] = [("node", .int(UInt64(cluster.coordinator.settings.node)))]
        switch cluster.coordinator.state {
        case .connected: fields.append(("redis", .string("connected")))
        case .connecting: fields.append(("redis", .string("connecting")))
        case .disconnected(let why):
            fields.append(("redis", .string("disconnected")))
            fields.append(("redis_reason", .string(why)))
        }
        fields += [
            ("receiving_accounts", .int(UInt64(cluster.coordinator.receivingCount))),
            ("deliveries_shipped_total", .int(UInt64(cluster.remote.shipped))),
            ("deliveries_received_total", .int(UInt64(cluster.remote.received))),
            ("deliveries_held", .int(UInt64(cluster.remote.heldCount))),
            ("remote_requests_total", .int(UInt64(cluster.queries.asked))),
            ("remote_replies_total", .int(UInt64(cluster.queries.answered))),
        ]
        return .object(fields)
    }

    func clusterMetrics(_ p: inout PrometheusText) {
        guard let cluster = messages.cluster else { return }
        let node = [("node", String(cluster.coordinator.settings.node))]
        p.gauge("smppd_cluster_redis_up", help: "1 while the cluster's Redis answers.",
                samples: [(node, cluster.coordinator.isAvailable ? 1 : 0)])
        p.counter("smppd_cluster_deliveries_shipped_total", help: "Receipts and MO handed to another node's receiver through Redis.",
                  samples: [(node, Double(cluster.remote.shipped))])
        p.counter("smppd_cluster_deliveries_received_total", help: "Receipts and MO from another node queued for a receiver here.",
                  samples: [(node, Double(cluster.remote.received))])
        p.gauge("smppd_cluster_deliveries_held", help: "Deliveries from another node not answered yet (their stream entries stay pending).",
                samples: [(node, Double(cluster.remote.heldCount))])
        p.counter("smppd_cluster_remote_requests_total", help: "query_sm / cancel_sm sent to the node that owns the message.",
                  samples: [(node, Double(cluster.queries.asked))])
        p.counter("smppd_cluster_remote_replies_total", help: "Replies to them received in time.",
                  samples: [(node, Double(cluster.queries.answered))])
        messages.shipLogMetrics(&p, labels: node)
    }
}
