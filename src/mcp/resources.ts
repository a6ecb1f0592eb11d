/**
 * MCP resources `orders://<account>/open`: the account's open orders as JSON, with subscriptions.
 * `<account>` is URL-encoded (an account reference like "paper:default" contains a colon); the raw
 * form is accepted too. On every committed order change of a subscribed account the session gets
 * `notifications/resources/updated` for the exact URI it subscribed to.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { accountRef } from '../domain/account.ts';
import { isDomainError } from '../domain/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Services } from '../services/ports.ts';

const URI_RE = /^orders:\/\/(.+)\/open$/;
/** MCP "resource not found" (spec): -32002. */
const RESOURCE_NOT_FOUND = -32002;

export function openOrdersUri(ref: string): string {
  return `orders://${encodeURIComponent(ref)}/open`;
}

/** The account reference inside an orders:// URI, or an McpError naming the accepted form. */
export function parseOrdersUri(uri: string): string {
  const m = URI_RE.exec(uri);
  let ref: string | undefined;
  try {
    ref = m?.[1] !== undefined ? decodeURIComponent(m[1]) : undefined;
  } catch {
    ref = undefined;
  }
  if (!ref) throw new McpError(ErrorCode.InvalidParams, `unknown resource ${uri}; expected orders://<account>/open`);
  return ref;
}

function asMcpError(err: unknown): McpError {
  if (err instanceof McpError) return err;
  if (isDomainError(err))
    return new McpError(err.code === 'ACCOUNT_NOT_FOUND' ? RESOURCE_NOT_FOUND : ErrorCode.InvalidParams, err.message, { code: err.code });
  return new McpError(ErrorCode.InternalError, 'internal error; the server log has the details');
}

/** Installs the resource handlers on `server` (before connect). Returns a dispose function. */
export function installOrderResources(server: Server, services: Services, logger: Logger): () => void {
  server.registerCapabilities({ resources: { subscribe: true, listChanged: false } });
  /** canonical "<exchange>:<id>" → URIs this session subscribed with. */
  const subscriptions = new Map<string, Set<string>>();

  const canonical = (ref: string): string => accountRef(services.accounts.get(ref));

  server.setRequestHandler(ListResourcesRequestSchema, () => ({
    resources: services.accounts.list({ enabled: true }).map((a) => ({
      uri: openOrdersUri(accountRef(a)),
      name: `open-orders-${accountRef(a)}`,
      title: `Open orders of ${a.name}`,
      mimeType: 'application/json',
    })),
  }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: [
      {
        uriTemplate: 'orders://{account}/open',
        name: 'open-orders',
        title: 'Open orders of an account',
        description: 'The open orders of an account as JSON {account, orders}. Subscribe to be notified when any order of the account changes.',
        mimeType: 'application/json',
      },
    ],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, (req) => {
    try {
      const ref = parseOrdersUri(req.params.uri);
      const orders = services.orders.list(ref, { status: 'open', limit: 1000 });
      const text = JSON.stringify({ account: ref, orders });
      return { contents: [{ uri: req.params.uri, mimeType: 'application/json', text }] };
    } catch (err) {
      throw asMcpError(err);
    }
  });
  server.setRequestHandler(SubscribeRequestSchema, (req) => {
    try {
      const key = canonical(parseOrdersUri(req.params.uri));
      let set = subscriptions.get(key);
      if (!set) subscriptions.set(key, (set = new Set()));
      set.add(req.params.uri);
      return {};
    } catch (err) {
      throw asMcpError(err);
    }
  });
  server.setRequestHandler(UnsubscribeRequestSchema, (req) => {
    for (const [key, set] of subscriptions) {
      set.delete(req.params.uri);
      if (set.size === 0) subscriptions.delete(key);
    }
    return {};
  });

  return services.orders.onOrderChange((account) => {
    const uris = subscriptions.get(accountRef(account));
    if (!uris) return;
    for (const uri of uris)
      server.sendResourceUpdated({ uri }).catch((err: unknown) => logger.debug({ err: String(err), uri }, 'resource update not delivered'));
  });
}
