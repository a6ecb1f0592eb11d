/**
 * Workaround for a retention in @modelcontextprotocol/sdk 1.32.2 (docs/upstream-sdk-json-response-leak.md).
 * With `enableJsonResponse: true`, WebStandardStreamableHTTPServerTransport.send() resolves a POST's
 * JSON reply but never deletes that POST's `_streamMapping` entry (the SSE branch calls
 * `stream.cleanup()`, the JSON branch does not). The entry's closures hold the request's scope, so the
 * raw and the zod-parsed body of every answered POST stay in memory until the session closes.
 *
 * After a POST has been answered we delete every JSON-reply entry that no unanswered request points
 * at any more (requests still in flight keep theirs in `_requestToStreamMapping`). The fields are
 * private to the SDK, so they are reached through a narrow structural type; if a later SDK renames
 * them this becomes a no-op and the memory test (test/unit/mcp-http-memory.test.ts) fails loudly.
 */
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

interface ReplyStreams {
  _streamMapping?: Map<string, { resolveJson?: unknown }>;
  _requestToStreamMapping?: Map<unknown, string>;
}

function innerOf(transport: StreamableHTTPServerTransport): ReplyStreams | undefined {
  const inner = (transport as unknown as { _webStandardTransport?: ReplyStreams })._webStandardTransport;
  return inner && inner._streamMapping instanceof Map && inner._requestToStreamMapping instanceof Map ? inner : undefined;
}

/** Deletes the JSON-reply entries of answered POSTs; returns how many were released, or -1 if the SDK's shape is unknown. */
export function releaseAnsweredJsonReplies(transport: StreamableHTTPServerTransport): number {
  const inner = innerOf(transport);
  if (!inner) return -1;
  const streams = inner._streamMapping!;
  const pending = new Set(inner._requestToStreamMapping!.values());
  let released = 0;
  for (const [id, stream] of streams) {
    if (stream.resolveJson !== undefined && !pending.has(id)) {
      streams.delete(id);
      released++;
    }
  }
  return released;
}

/** JSON-reply entries the transport holds now (answered or not); undefined if the SDK's shape changed. */
export function heldJsonReplies(transport: StreamableHTTPServerTransport): number | undefined {
  const inner = innerOf(transport);
  if (!inner) return undefined;
  let n = 0;
  for (const s of inner._streamMapping!.values()) if (s.resolveJson !== undefined) n++;
  return n;
}
