/**
 * An upload's bytes to its temporary file, hashed and written off the main
 * thread: the chunks (~64 KiB each from a TLS socket) are copied into one
 * of the upload's two reused buffers of {@linkcode SINK_BUFFER_BYTES}, and
 * a full buffer goes (transferred, not copied) to the store's
 * {@linkcode HashWorker}, which hashes it, writes it and hands it back,
 * while the other buffer fills. The reads wait only when both buffers are
 * away: what an upload holds is its two buffers, whatever the disk's pace.
 *
 * Measured (bench/files_memory_probe.ts, docs/performance.md): the SHA-256
 * and the awaited write of each chunk were a third of the main thread's
 * time per uploaded byte.
 *
 * @module
 */

/** The size of each of an upload's two buffers. */
export const SINK_BUFFER_BYTES = 1024 * 1024;
/** How long the Worker stays without uploads before it is ended. */
const IDLE_MS = 10_000;

/** Messages to the Worker (lib/files/hash_worker.ts). */
export type ToHashWorker =
  | { type: "open"; id: number; path: string }
  | { type: "write"; id: number; buffer: ArrayBuffer; length: number }
  /** Closes the file; the answer has the hash. */
  | { type: "end"; id: number }
  /** Closes the file, no hash. */
  | { type: "abort"; id: number };

/** Messages from the Worker. */
export type FromHashWorker =
  | { type: "written"; id: number; buffer: ArrayBuffer }
  | { type: "closed"; id: number; sha256?: string }
  | { type: "failed"; id: number; message: string };

interface Upload {
  spare: ArrayBuffer[];
  /** Woken when a buffer comes back, or on a failure. */
  wake?: () => void;
  /** Woken when the file is closed. */
  closed?: (sha256: string | undefined) => void;
  failure?: Error;
  /** The Worker ended under it: nothing more to send. */
  gone?: boolean;
}

/**
 * One Worker hashing and writing the uploads of a store, started by the
 * first upload and ended after {@linkcode IDLE_MS} without any (or by
 * {@linkcode HashWorker.close}), so that it keeps no program running.
 */
export class HashWorker {
  #worker: Worker | undefined;
  readonly #uploads = new Map<number, Upload>();
  #nextId = 1;
  #idle: ReturnType<typeof setTimeout> | undefined;

  /** Starts writing `path` (an existing, empty file). */
  open(path: string, bufferBytes = SINK_BUFFER_BYTES): UploadSink {
    const id = this.#nextId++;
    const upload: Upload = { spare: [new ArrayBuffer(bufferBytes), new ArrayBuffer(bufferBytes)] };
    this.#uploads.set(id, upload);
    if (this.#idle !== undefined) clearTimeout(this.#idle);
    this.#idle = undefined;
    this.#send({ type: "open", id, path });
    return new UploadSink(this, id, upload);
  }

  /** Ends the Worker now; uploads under way fail. */
  close(): void {
    this.#stop(new Error("the server is closing"));
  }

  /** @internal */
  send(message: ToHashWorker, transfer: ArrayBuffer[] = []): void {
    this.#send(message, transfer);
  }

  /** @internal An upload is done with the Worker. */
  forget(id: number): void {
    this.#uploads.delete(id);
    if (this.#uploads.size > 0 || !this.#worker) return;
    const idle = setTimeout(() => this.#stop(undefined), IDLE_MS);
    Deno.unrefTimer(idle);
    this.#idle = idle;
  }

  #send(message: ToHashWorker, transfer: ArrayBuffer[] = []): void {
    if (!this.#worker) {
      const worker = new Worker(new URL("./hash_worker.ts", import.meta.url), { type: "module" });
      worker.onmessage = (event: MessageEvent<FromHashWorker>) => this.#receive(event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        this.#stop(new Error(event.message));
      };
      this.#worker = worker;
    }
    this.#worker.postMessage(message, transfer);
  }

  #receive(message: FromHashWorker): void {
    const upload = this.#uploads.get(message.id);
    if (!upload) return;
    if (message.type === "written") upload.spare.push(message.buffer);
    else if (message.type === "failed") upload.failure ??= new Error(message.message);
    else upload.closed?.(message.sha256);
    upload.wake?.();
  }

  /** Ends the Worker; `failure` to the uploads under way. */
  #stop(failure: Error | undefined): void {
    if (this.#idle !== undefined) clearTimeout(this.#idle);
    this.#idle = undefined;
    this.#worker?.terminate();
    this.#worker = undefined;
    for (const upload of this.#uploads.values()) {
      upload.failure ??= failure ?? new Error("the hashing worker ended");
      upload.gone = true;
      upload.wake?.();
      upload.closed?.(undefined);
    }
    this.#uploads.clear();
  }
}

/** One upload's way to its file through the {@linkcode HashWorker}; see the module doc. */
export class UploadSink {
  readonly #worker: HashWorker;
  readonly #id: number;
  readonly #upload: Upload;
  #filling: Uint8Array | undefined;
  #filled = 0;
  #done = false;

  /** @internal Made by {@linkcode HashWorker.open}. */
  constructor(worker: HashWorker, id: number, upload: Upload) {
    this.#worker = worker;
    this.#id = id;
    this.#upload = upload;
  }

  /**
   * Takes `chunk` (copied: the caller may reuse it). Resolves at once unless
   * both buffers are away; rejects with the disk's (or the Worker's) error.
   */
  async write(chunk: Uint8Array): Promise<void> {
    for (let at = 0; at < chunk.length;) {
      const filling = this.#filling ?? await this.#buffer();
      const take = Math.min(chunk.length - at, filling.length - this.#filled);
      filling.set(chunk.subarray(at, at + take), this.#filled);
      this.#filled += take;
      at += take;
      if (this.#filled === filling.length) this.#flush();
    }
  }

  /** Writes the rest, closes the file and gives the content's SHA-256 (hex). */
  async end(): Promise<string> {
    this.#flush();
    const sha256 = await this.#close("end");
    if (this.#upload.failure) throw this.#upload.failure;
    if (sha256 === undefined) throw new Error("the hashing worker gave no hash");
    return sha256;
  }

  /** Closes the file, its content unfinished (waits, so that it can be removed). */
  async abort(): Promise<void> {
    if (!this.#done) await this.#close("abort");
  }

  async #close(type: "end" | "abort"): Promise<string | undefined> {
    this.#done = true;
    const upload = this.#upload;
    if (upload.gone) return undefined;
    try {
      return await new Promise<string | undefined>((resolve) => {
        upload.closed = resolve;
        this.#worker.send({ type, id: this.#id });
      });
    } finally {
      this.#worker.forget(this.#id);
    }
  }

  /** A spare buffer, once one is back from the Worker. */
  async #buffer(): Promise<Uint8Array> {
    const upload = this.#upload;
    while (upload.spare.length === 0 && !upload.failure) {
      await new Promise<void>((resolve) => upload.wake = resolve);
      upload.wake = undefined;
    }
    if (upload.failure) throw upload.failure;
    this.#filling = new Uint8Array(upload.spare.pop()!);
    return this.#filling;
  }

  #flush(): void {
    if (!this.#filling || this.#filled === 0 || this.#upload.failure) return;
    const buffer = this.#filling.buffer as ArrayBuffer;
    this.#worker.send({ type: "write", id: this.#id, buffer, length: this.#filled }, [buffer]);
    this.#filling = undefined;
    this.#filled = 0;
  }
}
