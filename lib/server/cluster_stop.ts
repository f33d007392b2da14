/**
 * A cluster node's clean stop, bounded: each part (the members' nick
 * records, this node's heartbeat record, the history's writes, the stream's
 * reader, the access watches, the connection's drain) is stopped in order,
 * but only while NATS answers. With NATS gone (or not answering) each of
 * them waits on a request timeout, one after the other, and a drain waits
 * for a server that is not there: measured, a node with one member stopped
 * 16.5 s after SIGTERM. Past the wait the parts left are still started (the
 * part of a stop that is local, such as timers and subscriptions, runs at
 * once) but not waited for, and the caller closes the connection without
 * draining and says what NATS was not told.
 *
 * @module
 */

/** How long a node's clean stop waits for NATS when the link is up, in ms. */
export const CLUSTER_STOP_WAIT_MS = 2_000;

/** One part of a node's stop: what it is (for the log) and how to stop it. */
export interface StopStep {
  /** What this part tells NATS or waits for, as the log names it. */
  what: string;
  /** Stops it; the promise settles once NATS has answered (or the part gave up). */
  stop: () => Promise<unknown>;
}

/** What {@linkcode stopInOrder} left unfinished at its deadline. */
export interface StopOutcome {
  /** The steps not finished in time, in order (empty: all done). */
  unfinished: string[];
  /** Settles when the unfinished steps settle (after the connection is closed, soon). */
  rest: Promise<unknown>;
}

/**
 * Runs `steps` one after the other while `waitMs` lasts; once it has passed
 * (at once for 0) each remaining step is started without waiting for it.
 * The outcome names the steps not finished then (the one under way and
 * those started late that did not finish within a timer tick). A step that
 * throws counts as done: the stop goes on.
 */
export async function stopInOrder(steps: StopStep[], waitMs: number): Promise<StopOutcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((
    resolve,
  ) => (timer = setTimeout(() => resolve("late"), waitMs)));
  const started: { what: string; done: boolean; stopping: Promise<void> }[] = [];
  let overdue = waitMs <= 0;
  try {
    for (const { what, stop } of steps) {
      const step = { what, done: false, stopping: Promise.resolve() };
      // Called at once (an async function runs up to its first await): its local part runs now.
      step.stopping = (async () => {
        try {
          await stop();
        } catch {
          // Counts as done: NATS answered, or the part gave up.
        }
        step.done = true;
      })();
      started.push(step);
      if (!overdue) overdue = await Promise.race([step.stopping, late]) === "late";
    }
  } finally {
    clearTimeout(timer);
  }
  if (overdue) await new Promise((resolve) => setTimeout(resolve, 0)); // The quick ones finish.
  const left = started.filter((step) => !step.done);
  return {
    unfinished: left.map((step) => step.what),
    rest: Promise.allSettled(left.map((step) => step.stopping)),
  };
}
