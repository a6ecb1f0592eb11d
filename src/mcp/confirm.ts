/**
 * Order confirmation through MCP elicitation (accounts with require_confirmation): a form request
 * with the order line as its message and no fields, so a client shows it with accept/decline.
 * Offered only to clients that declared the elicitation capability; the others get no confirmer,
 * and the orders service refuses with CONFIRMATION_REQUIRED.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { ConfirmationAnswer, OrderConfirmer } from '../services/ports.ts';

/** How long place_order waits for the human before it gives up (nothing is placed then). */
export const CONFIRM_TIMEOUT_MS = 120_000;

export function elicitationConfirmer(server: Server, signal?: AbortSignal, timeoutMs = CONFIRM_TIMEOUT_MS): OrderConfirmer | undefined {
  if (server.getClientCapabilities()?.elicitation === undefined) return undefined;
  return async ({ message }): Promise<ConfirmationAnswer> => {
    try {
      // No relatedRequestId: Streamable HTTP here answers POSTs with plain JSON, so server requests go on the GET stream.
      const r = await server.elicitInput(
        { mode: 'form', message, requestedSchema: { type: 'object', properties: {} } },
        { timeout: timeoutMs, ...(signal ? { signal } : {}) },
      );
      return r.action;
    } catch {
      // Timed out, cancelled with the tool call, or the client failed to answer: not a yes.
      return 'unanswered';
    }
  };
}
