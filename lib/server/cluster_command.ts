/**
 * `/cluster` for operators: the nodes of the cluster, their clients, this
 * node's link to NATS and the room stream's state, one notice a line (see
 * cluster_status.ts). Added to the hub's command table by the server when
 * it runs with `--cluster`; without it the command does not exist.
 *
 * @module
 */

import type { Command } from "../core/command_registry.ts";

/** The `/cluster` row; `report` says the status in lines (it may take a NATS round trip). */
export function clusterCommand(report: () => Promise<string[]>): Command {
  return {
    name: "cluster",
    usage: "",
    help: "Show the cluster: nodes, their clients, the link to NATS and the room stream",
    minArgs: 0,
    maxArgs: 0,
    rest: false,
    op: true,
    run: async (ctx) => {
      let lines: string[];
      try {
        lines = await report();
      } catch (error) {
        lines = [`Cannot read the cluster's state: ${(error as Error).message}`];
      }
      // One notice a line: clients show a notice on one line (newlines become spaces).
      for (const message of lines) ctx.reply({ type: "notice", message });
    },
  };
}
