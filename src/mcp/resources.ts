/**
 * MCP resources, with subscriptions:
 * - `orders://<account>/open`: the account's open orders as JSON; updated on every committed order change.
 * - `fills://<account>/recent`: the account's last 100 fills (newest first) as JSON; updated on every fill.
 * `<account>` is URL-encoded (an account reference like "paper:default" contains a colon); the raw
 * form is accepted too. A subscribed session gets `notifications/resources/updated` for the exact
 * URI it subscribed to.
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
import { FillDetector, RECENT_FILLS } from './fill-detector.ts';

type ResourceKind = 'orders' | 'fills';
const URI_RE = /^(orders|fills):\/\/(.+)\/(open|recent)$/;
const SUFFIX: Record<ResourceKind, string> = { orders: 'open', fills: 'recent' };
/** MCP "resource not found" (spec): -32002. */
const RESOURCE_NOT_FOUND = -32002;

export function openOrdersUri(ref: string): string {
  return `orders://${encodeURIComponent(ref)}/open`;
}

export function recentFillsUri(ref: string): string {
  return `fills://${encodeURIComponent(ref)}/recent`;
}

/** The kind and account reference of a resource URI, or an McpError naming the accepted forms. */
export function parseResourceUri(uri: string): { kind: ResourceKind; ref: string } {
  const m = URI_RE.exec(uri);
  const kind = m?.[1] as ResourceKind | undefined;
  let ref: string | undefined;
  try {
    ref = kind !== undefined && m?.[3] === SUFFIX[kind] && m[2] !== undefined ? decodeURIComponent(m[2]) : undefined;
  } catch {
    ref = undefined;
  }
  if (!ref || kind === undefined)
    throw new McpError(ErrorCode.InvalidParams, `unknown resource ${uri}; expected orders://<account>/open or fills://<account>/recent`);
  return { kind, ref };
}

/** The account reference inside an orders:// URI, or an McpError naming the accepted form. */
export function parseOrdersUri(uri: string): string {
  const r = parseResourceUri(uri);
  if (r.kind !== 'orders') throw new McpError(ErrorCode.InvalidParams, `unknown resource ${uri}; expected orders://<account>/open`);
  return r.ref;
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
  /** kind → canonical "<exchange>:<id>" → URIs this session subscribed with. */
  const subscriptions: Record<ResourceKind, Map<string, Set<string>>> = { orders: new Map(), fills: new Map() };
  const fills = new FillDetector();

  const canonical = (ref: string): string => accountRef(services.accounts.get(ref));

  server.setRequestHandler(ListResourcesRequestSchema, () => ({
    resources: services.accounts.list({ enabled: true }).flatMap((a) => [
      { uri: openOrdersUri(accountRef(a)), name: `open-orders-${accountRef(a)}`, title: `Open orders of ${a.name}`, mimeType: 'application/json' },
      { uri: recentFillsUri(accountRef(a)), name: `recent-fills-${accountRef(a)}`, title: `Recent fills of ${a.name}`, mimeType: 'application/json' },
    ]),
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
      {
        uriTemplate: 'fills://{account}/recent',
        name: 'recent-fills',
        title: 'Recent fills of an account',
        description: `The last ${RECENT_FILLS} fills of an account, newest first, as JSON {account, fills}. Subscribe to be notified on every fill.`,
        mimeType: 'application/json',
      },
    ],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, (req) => {
    try {
      const { kind, ref } = parseResourceUri(req.params.uri);
      const text =
        kind === 'orders'
          ? JSON.stringify({ account: ref, orders: services.orders.list(ref, { status: 'open', limit: 1000 }) })
          : JSON.stringify({ account: ref, fills: services.orders.listFills(ref, { limit: RECENT_FILLS }) });
      return { contents: [{ uri: req.params.uri, mimeType: 'application/json', text }] };
    } catch (err) {
      throw asMcpError(err);
    }
  });
  server.setRequestHandler(SubscribeRequestSchema, (req) => {
    try {
      const { kind, ref } = parseResourceUri(req.params.uri);
      const key = canonical(ref);
      // What is filled already is not news: only growth after this point notifies.
      if (kind === 'fills' && !subscriptions.fills.has(key)) fills.seed(services.orders.list(ref, { status: 'open', limit: 1000 }));
      let set = subscriptions[kind].get(key);
      if (!set) subscriptions[kind].set(key, (set = new Set()));
      set.add(req.params.uri);
      return {};
    } catch (err) {
      throw asMcpError(err);
    }
  });
  server.setRequestHandler(UnsubscribeRequestSchema, (req) => {
    for (const map of Object.values(subscriptions))
      for (const [key, set] of map) {
        set.delete(req.params.uri);
        if (set.size === 0) map.delete(key);
      }
    return {};
  });

  const notify = (uris: Set<string> | undefined): void => {
    for (const uri of uris ?? [])
      server.sendResourceUpdated({ uri }).catch((err: unknown) => logger.debug({ err: String(err), uri }, 'resource update not delivered'));
  };
  return services.orders.onOrderChange((account, order) => {
    const key = accountRef(account);
    notify(subscriptions.orders.get(key));
    const fillUris = subscriptions.fills.get(key);
    if (fillUris && fills.filled(order)) notify(fillUris);
  });
}
