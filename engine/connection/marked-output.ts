/**
 * One stream of a persistent shell, cut into the outputs of the commands it
 * ran by their end markers. Each byte is scanned once (only a marker's length
 * of the previous chunk is looked at again, for a marker split across
 * chunks), so a flood costs linear time; and at most `limit` bytes of one
 * command's output are kept, the rest counted, so it costs bounded memory.
 *
 * @example
 * ```ts
 * import { MarkedOutput } from "./marked-output.ts";
 * const out = new MarkedOutput(1024);
 * out.push(Buffer.from("hello\n__end_1:0\nnext"));
 * const done = out.take("__end_1:", true);
 * if (done?.text !== "hello\n" || done.tail !== "0") throw new Error("example");
 * ```
 */
export class MarkedOutput {
  /** Kept bytes of the current command's output, before `unscanned`. */
  private kept: Buffer[] = [];
  private keptBytes = 0;
  private dropped = 0;
  /** Bytes not yet searched for the current marker (plus a marker's length of overlap). */
  private unscanned: Buffer = Buffer.alloc(0);
  /** Bytes of `unscanned` already searched (and found free of the marker). */
  private scanned = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.unscanned = this.unscanned.length ? Buffer.concat([this.unscanned, chunk]) : chunk;
  }

  /**
   * The current command's output when its marker has arrived (and, with
   * `withTail`, the rest of the marker's line: the exit code), removing it;
   * undefined while the marker is still to come.
   */
  take(marker: string, withTail = false): { text: string; tail: string; droppedBytes: number } | undefined {
    const from = Math.max(0, this.scanned - marker.length);
    const at = this.unscanned.indexOf(marker, from);
    const end = at >= 0 ? this.unscanned.indexOf("\n", at + marker.length) : -1;
    if (end < 0) {
      // Keep what can no longer hold the start of the marker; leave a marker's length to search again.
      const keepFrom = at >= 0 ? at : Math.max(0, this.unscanned.length - marker.length);
      this.keep(this.unscanned.subarray(0, keepFrom));
      this.unscanned = this.unscanned.subarray(keepFrom);
      this.scanned = at >= 0 ? 0 : this.unscanned.length;
      return undefined;
    }
    this.keep(this.unscanned.subarray(0, at));
    const tail = withTail ? this.unscanned.subarray(at + marker.length, end).toString() : "";
    this.unscanned = this.unscanned.subarray(end + 1);
    this.scanned = 0;
    const text = Buffer.concat(this.kept).toString("utf8");
    const droppedBytes = this.dropped;
    this.kept = [];
    this.keptBytes = 0;
    this.dropped = 0;
    return { text, tail, droppedBytes };
  }

  private keep(bytes: Buffer): void {
    const room = Math.max(0, this.limit - this.keptBytes);
    if (bytes.length > room) this.dropped += bytes.length - room;
    if (room === 0 || bytes.length === 0) return;
    // A copy: the chunk's buffer is not held alive by a small slice of it.
    const part = Buffer.from(bytes.subarray(0, room));
    this.kept.push(part);
    this.keptBytes += part.length;
  }
}
