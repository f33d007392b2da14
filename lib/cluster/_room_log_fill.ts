/**
 * Test helper: fills a room log's #lobby with `count` messages from ana
 * ("m0", "m1", ..., `ts` their index), one publish acknowledged at a time.
 *
 * @module
 */

import type { NatsRoomLog } from "./nats_room_log.ts";

/** Publishes `count` messages to #lobby, in order. */
export async function publishMessages(log: NatsRoomLog, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await log.publish("#lobby", "#lobby", {
      type: "msg",
      ts: i,
      from: "ana",
      kind: "say",
      text: `m${i}`,
    });
  }
}
