/**
 * What `chat-server` needs of the cluster (issue 17), in one module that it
 * imports only when a command asks for a cluster (`--cluster`, `chat-server
 * cluster ...`, `export --cluster`): this code and the NATS client it
 * loads are about a tenth of a plain server's start-up CPU
 * (docs/performance.md, "Start-up").
 *
 * @module
 */

export { exportFromCluster } from "./cluster_export.ts";
export { streamLimitFigures } from "../cluster/nats_history.ts";
export { untilReady } from "./cluster_wait.ts";
export { ClusterJoinError, joinCluster } from "./cluster_join.ts";
export { clusterCommand } from "./cluster_command.ts";
export { clusterStartLine, formatClusterStatus } from "./cluster_status.ts";
export { runClusterCommand } from "./cluster_cli.ts";
export { openClusterFiles } from "./open_cluster_files.ts";
