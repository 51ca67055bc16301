// The cluster's figures on /metrics (issue 15): whether Redis answers, and what crossed nodes.
// Loop thread only.
import Admin

extension SMSCServer {
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
