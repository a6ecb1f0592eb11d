import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric of the service, on one registry (exposed at GET /metrics, which needs no login).
 * Account references (exchange account ids) appear in labels only with `accountLabels`
 * (EXEC_MCP_METRICS_ACCOUNT_LABELS); otherwise per-account series are aggregated per exchange.
 */
export function createMetrics(opts: { defaultMetrics?: boolean; accountLabels?: boolean } = {}) {
  const registry = new Registry();
  const accountLabels = opts.accountLabels ?? false;
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'exec_mcp_' });
  const m = {
    registry,
    accountLabels,
    ordersPlaced: new Counter({ name: 'exec_mcp_orders_placed_total', help: 'Orders accepted by place_order', labelNames: ['exchange'], registers: [registry] }),
    orderTransitions: new Counter({ name: 'exec_mcp_order_transitions_total', help: 'Persisted order state transitions', labelNames: ['event'], registers: [registry] }),
    commitBatchSize: new Histogram({ name: 'exec_mcp_commit_batch_size', help: 'Transitions per group-commit transaction', buckets: [1, 2, 5, 10, 50, 100, 500, 1000], registers: [registry] }),
    outboxPending: new Gauge({ name: 'exec_mcp_outbox_pending', help: 'Outbox commands not yet done', registers: [registry] }),
    outboxExecuted: new Counter({ name: 'exec_mcp_outbox_executed_total', help: 'Outbox commands executed', labelNames: ['kind', 'result'], registers: [registry] }),
    exchangeRequests: new Histogram({ name: 'exec_mcp_exchange_request_seconds', help: 'Exchange API call latency', labelNames: ['exchange', 'endpoint', 'result'], buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], registers: [registry] }),
    responseSignatureMissing: new Counter({ name: 'exec_mcp_exchange_response_signature_missing_total', help: 'Write replies accepted without a response signature header', labelNames: ['exchange', 'endpoint'], registers: [registry] }),
    clockSkewSeconds: new Gauge({ name: 'exec_mcp_exchange_clock_skew_seconds', help: 'Exchange clock minus ours, learned when a request timestamp was rejected', labelNames: ['exchange'], registers: [registry] }),
    inflightGaveUp: new Counter({ name: 'exec_mcp_inflight_checks_gave_up_total', help: 'Orders left in flight after the in-flight checks gave up (only reconciliation can settle them now): alert on it', labelNames: ['reason'], registers: [registry] }),
    fillsQuarantined: new Counter({ name: 'exec_mcp_fills_quarantined_total', help: 'Exchange fills impossible for their order (market, side or limit price), kept aside and not applied', labelNames: ['source'], registers: [registry] }),
    reconciliations: new Counter({ name: 'exec_mcp_reconciliations_total', help: 'Account reconciliations run', labelNames: ['trigger', 'result'], registers: [registry] }),
    metadataRefresh: new Counter({ name: 'exec_mcp_metadata_refresh_total', help: 'Metadata refresh attempts', labelNames: ['exchange', 'result'], registers: [registry] }),
    metadataAgeSeconds: new Gauge({ name: 'exec_mcp_metadata_age_seconds', help: 'Age of the cached exchange metadata', labelNames: ['exchange'], registers: [registry] }),
    /** Registered only with accountLabels: its label is the account reference. */
    connectionState: new Gauge({ name: 'exec_mcp_connection_live', help: '1 when the account connection is live', labelNames: ['account'], registers: accountLabels ? [registry] : [] }),
    connectionsLive: new Gauge({ name: 'exec_mcp_connections_live', help: 'Account connections of this process that are live, per exchange', labelNames: ['exchange'], registers: [registry] }),
    /** Registered only with accountLabels: its label is the account reference. */
    streamChannels: new Gauge({ name: 'exec_mcp_stream_channels', help: 'Private exchange stream channels subscribed now, per account (markets with live orders, configured ones, on demand)', labelNames: ['account'], registers: accountLabels ? [registry] : [] }),
    streamChannelsTotal: new Gauge({ name: 'exec_mcp_stream_channels_total', help: 'Private exchange stream channels subscribed now, all accounts of this process', registers: [registry] }),
    accountsStreamDown: new Gauge({ name: 'exec_mcp_accounts_stream_down', help: 'Accounts whose exchange stream this process started and that is not live now (backoff, reconnecting)', registers: [registry] }),
    mcpCalls: new Counter({ name: 'exec_mcp_mcp_calls_total', help: 'MCP tool calls', labelNames: ['tool', 'result'], registers: [registry] }),
    // Memory itself: exec_mcp_process_resident_memory_bytes and exec_mcp_nodejs_heap_size_used_bytes (default metrics).
    mcpSessions: new Gauge({ name: 'exec_mcp_mcp_sessions', help: 'Open MCP-over-HTTP sessions, by token kind', labelNames: ['kind'], registers: [registry] }),
    httpRequests: new Counter({ name: 'exec_mcp_http_requests_total', help: 'HTTP requests', labelNames: ['route', 'status'], registers: [registry] }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
