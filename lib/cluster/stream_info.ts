/**
 * Opening a JetStream stream that several nodes may create at once, while
 * JetStream may still be settling (just after NATS started).
 *
 * @module
 */

import type { JetStreamManager, StreamConfig, StreamInfo } from "@nats-io/jetstream";

/**
 * The stream's info, creating the stream when JetStream says it does not
 * exist. Any other failure (a timeout while JetStream settles) is thrown,
 * never taken for "missing": adding a stream that exists with other limits
 * fails. Two nodes creating it at once: the loser reads the winner's.
 */
export async function streamInfoOrAdd(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<StreamInfo> {
  try {
    return await jsm.streams.info(config.name);
  } catch (error) {
    if (!isStreamNotFound(error)) throw error;
  }
  try {
    return await jsm.streams.add(config);
  } catch (error) {
    // Made by another node between the two requests (perhaps with its limits set since).
    return await jsm.streams.info(config.name).catch(() => Promise.reject(error));
  }
}

/** Whether JetStream answered that the stream does not exist. */
export function isStreamNotFound(error: unknown): boolean {
  return error instanceof Error && /stream not found/i.test(error.message);
}
