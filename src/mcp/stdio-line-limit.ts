/**
 * A size limit per stdio message that does not end the session. The SDK's StdioServerTransport
 * clears its buffer and closes the transport when one message passes 10 MiB, so the client saw the
 * server exit 0 with no answer. This Transform sits in front of it: it passes every newline-ended
 * message of at most `maxBytes` through as its own chunk, and drops a longer one as it streams in
 * (keeping only its first and last bytes, to find its JSON-RPC id), then reports it so the session
 * can answer with a JSON-RPC error and go on with the next message.
 */
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';

export const MAX_STDIO_MESSAGE_BYTES = 10 * 1024 * 1024;

export interface OversizedMessage {
  /** Bytes of the dropped message (without its newline). */
  bytes: number;
  /** Its JSON-RPC id when it could be read from the first or last bytes, else null. */
  id: string | number | null;
}

const NEWLINE = Buffer.from('\n');
const EDGE = 512; // bytes kept from each end of a dropped message
const ID_VALUE = String.raw`(-?\d{1,16}|"(?:[^"\\]|\\.){0,200}")`;
// The SDK's clients write `{"method":...,"params":...,"jsonrpc":"2.0","id":N}`; others put the id first.
const ID_AT_START = new RegExp(String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*${ID_VALUE}`);
const ID_AT_END = new RegExp(String.raw`[,{]\s*"id"\s*:\s*${ID_VALUE}\s*(?:,\s*"jsonrpc"\s*:\s*"2\.0"\s*)?\}\s*$`);

/** The id of a JSON-RPC message from its edges; null when neither edge shows one. */
export function idFromEdges(head: string, tail: string): string | number | null {
  const m = ID_AT_START.exec(head) ?? ID_AT_END.exec(tail);
  if (!m) return null;
  try {
    return JSON.parse(m[1]!) as string | number;
  } catch {
    return null;
  }
}

export class StdioLineLimit extends Transform {
  private parts: Buffer[] = [];
  private size = 0;
  /** Set while a message longer than the limit is being dropped. */
  private dropping: { head: Buffer; tail: Buffer; bytes: number } | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly onOversized: (m: OversizedMessage) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      this.addPiece(chunk.subarray(start, nl === -1 ? chunk.length : nl));
      if (nl === -1) break;
      this.finishLine();
      start = nl + 1;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    // A last message without a newline is incomplete: the SDK would never parse it either.
    if (this.dropping) this.finishLine();
    done();
  }

  private addPiece(piece: Buffer): void {
    if (piece.length === 0) return;
    const d = this.dropping;
    if (d) {
      d.bytes += piece.length;
      d.tail = keepLast(Buffer.concat([d.tail, piece.subarray(-EDGE)]));
      return;
    }
    if (this.size + piece.length <= this.maxBytes) {
      this.parts.push(piece);
      this.size += piece.length;
      return;
    }
    const all = Buffer.concat([...this.parts, piece]);
    this.dropping = { head: Buffer.from(all.subarray(0, EDGE)), tail: keepLast(all), bytes: all.length };
    this.parts = [];
    this.size = 0;
  }

  private finishLine(): void {
    const d = this.dropping;
    if (d) {
      this.dropping = undefined;
      this.onOversized({ bytes: d.bytes, id: idFromEdges(d.head.toString('utf8'), d.tail.toString('utf8')) });
      return;
    }
    const line = Buffer.concat([...this.parts, NEWLINE]);
    this.parts = [];
    this.size = 0;
    this.push(line);
  }
}

function keepLast(b: Buffer): Buffer {
  return b.length <= EDGE ? b : Buffer.from(b.subarray(b.length - EDGE));
}

/** The JSON-RPC error answered for a dropped message. */
export function oversizedError(m: OversizedMessage, maxBytes: number): { jsonrpc: '2.0'; id: string | number | null; error: { code: number; message: string } } {
  return {
    jsonrpc: '2.0',
    id: m.id,
    error: {
      code: -32600,
      message: `message of ${m.bytes} bytes is larger than the ${maxBytes}-byte limit of a stdio message; it was not processed (for big backtest data pass a file path instead of inline rows)`,
    },
  };
}

/**
 * `stdin` through a StdioLineLimit whose dropped messages are answered on `stdout`; give the
 * returned stream to StdioServerTransport (with `sdkMaxBufferSize`) and call detach() on close.
 */
export function limitStdin(
  stdin: Readable,
  stdout: Writable,
  opts: { maxBytes?: number; onOversized?: (m: OversizedMessage) => void } = {},
): { stream: StdioLineLimit; sdkMaxBufferSize: number; detach(): void } {
  const maxBytes = opts.maxBytes ?? MAX_STDIO_MESSAGE_BYTES;
  const stream = new StdioLineLimit(maxBytes, (m) => {
    opts.onOversized?.(m);
    stdout.write(JSON.stringify(oversizedError(m, maxBytes)) + '\n');
  });
  stdin.pipe(stream);
  return {
    stream,
    // The limiter hands over one message per chunk, so the SDK's own (session-ending) limit is never hit.
    sdkMaxBufferSize: 2 * maxBytes + 2,
    detach() {
      stdin.unpipe(stream);
      stdin.pause();
    },
  };
}
