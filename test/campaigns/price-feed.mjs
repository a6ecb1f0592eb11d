// The campaigns' market-data MCP for paper accounts (EXEC_MCP_PRICE_MCP="node price-feed.mjs FILE"):
// a stdio MCP whose get_price answers the price the driver last wrote to FILE ({"version": n,
// "prices": {"BTC/USD": "60000"}}). After each answer it records the version it served in FILE.served,
// so the driver knows when the service has seen a price move. Plain JS: spawned with PATH only.
import fs from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: price-feed.mjs PRICES.json\n');
  process.exit(2);
}

const server = new McpServer({ name: 'campaign-prices', version: '1.0.0' });
server.registerTool(
  'get_price',
  { description: 'last price of a symbol', inputSchema: { symbol: z.string(), exchange: z.string() } },
  async ({ symbol }) => {
    let doc;
    try {
      doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      return { isError: true, content: [{ type: 'text', text: 'price file unreadable' }] };
    }
    const price = doc.prices?.[symbol];
    if (typeof price !== 'string') return { isError: true, content: [{ type: 'text', text: `no price for ${symbol}` }] };
    try {
      fs.writeFileSync(`${file}.served`, String(doc.version ?? 0));
    } catch {
      // the served marker is best effort
    }
    const out = { symbol, price };
    return { content: [{ type: 'text', text: JSON.stringify(out) }], structuredContent: out };
  },
);
// Exit with the service: when it dies (SIGKILL), our stdin closes.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
await server.connect(new StdioServerTransport());
