import http from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.ts';
import { BitstampTickerPriceSource, createPriceSource, FallbackPriceSource, FixedPriceSource, ReplayPriceSource, symbolOfMarket } from '../../src/exchanges/paper-price-sources.ts';
import { McpPriceSource } from '../../src/exchanges/paper-mcp-price-source.ts';
import { splitCommandLine } from '../../src/exchanges/paper-stdio-transport.ts';
import { parseMarketDataText } from '../../sim/market-data/parse.ts';
import { SAMPLE_FILE } from '../../sim/sample-data/generate-sample.ts';
import { bundledMarket } from '../../src/exchanges/bitstamp/metadata.ts';
// @ts-expect-error plain .mjs fixture without types
import { startHttpPriceServer } from '../fixtures/price-mcp-server.mjs';
import { rejectedDomainError } from '../fixtures/domain-errors.ts';

const rejects = rejectedDomainError;

const FIXTURE = path.resolve('test/fixtures/price-mcp-server.mjs');
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('simple price sources', () => {
  it('fixed prices, settable; unknown market is EXCHANGE_UNAVAILABLE', async () => {
    const s = new FixedPriceSource({ btcusd: '60000.50' });
    expect(await s.price('btcusd')).toBe('60000.5');
    s.set('btcusd', '1');
    expect(await s.price('btcusd')).toBe('1');
    expect((await rejects(s.price('ethusd'))).code).toBe('EXCHANGE_UNAVAILABLE');
  });

  it('replay loops the data over the clock', async () => {
    const data = parseMarketDataText('timestamp,price,amount,side\n1000,100,1,buy\n2000,200,1,buy\n3000,300,1,sell\n', { source: 'x', market: 'btcusd' });
    const clock = new ManualClock(50_000);
    const s = new ReplayPriceSource(data, clock);
    const at = async (dt: number) => {
      clock.set(50_000 + dt);
      return s.price('btcusd');
    };
    expect(await at(0)).toBe('100');
    expect(await at(999)).toBe('100');
    expect(await at(1000)).toBe('200');
    expect(await at(2000)).toBe('300');
    expect(await at(2001)).toBe('100'); // span is 2001 ms: loops
    expect(await ReplayPriceSource.fromFile(SAMPLE_FILE, clock).price('btcusd')).toBe('60011');
  });
});

describe('Bitstamp public ticker', () => {
  it('reads `last` from GET /api/v2/ticker/{market}/ and fails cleanly otherwise', async () => {
    const seen: string[] = [];
    const srv = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url === '/api/v2/ticker/btcusd/') res.end(JSON.stringify({ timestamp: '1686068944', last: '26500', bid: '26499', ask: '26501' }));
      else if (req.url === '/api/v2/ticker/ethusd/') res.end(JSON.stringify({ last: 'n/a' }));
      else res.writeHead(404).end('{}');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise((r) => (srv.closeAllConnections(), srv.close(r))));
    const { port } = srv.address() as { port: number };
    const s = new BitstampTickerPriceSource({ baseUrl: `http://127.0.0.1:${port}/` });
    expect(await s.price('btcusd')).toBe('26500');
    expect(seen).toEqual(['/api/v2/ticker/btcusd/']);
    expect((await rejects(s.price('ethusd'))).message).toBe('Bitstamp ticker gave no usable price for ethusd (expected a positive decimal)');
    expect((await rejects(s.price('ltcusd'))).message).toMatch(/Bitstamp ticker for ltcusd is unavailable \(HTTP 404\)/);
    const f = new FallbackPriceSource([new FixedPriceSource({}), s]);
    expect(await f.price('btcusd')).toBe('26500');
  });
});

describe('market-data MCP price source', () => {
  it('splits command lines with quotes', () => {
    expect(splitCommandLine(`node "/a b/server.mjs" --x 'y z'`)).toEqual(['node', '/a b/server.mjs', '--x', 'y z']);
  });

  it('spawns the MCP over stdio with PATH only, reads price from structuredContent, else last from JSON text', async () => {
    const s = new McpPriceSource({ target: `${process.execPath} ${FIXTURE}`, symbolOf: (m: string) => bundledMarket(m).name, childEnv: { PATH: '/usr/bin:/bin' } });
    cleanups.push(() => s.close());
    expect(await s.price('btcusd')).toBe('60123.5');
    expect(await s.price('ethusd')).toBe('3000.25');
    expect((await rejects(s.price('ltcusd'))).message).toBe('market-data MCP tool get_price failed for ltcusd');
  });

  it('the child sees no environment but what it is given', async () => {
    // the fixture reports the names of its environment variables beside the price
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { MinimalEnvStdioTransport } = await import('../../src/exchanges/paper-stdio-transport.ts');
    const client = new Client({ name: 't', version: '1' });
    await client.connect(new MinimalEnvStdioTransport(process.execPath, [FIXTURE], { PATH: '/usr/bin:/bin' }));
    const r = (await client.callTool({ name: 'get_price', arguments: { symbol: 'BTC/USD', exchange: 'bitstamp' } })) as { structuredContent?: { env_keys?: string[] } };
    expect(r.structuredContent?.env_keys).toEqual(['PATH']);
    await client.close();
  });

  it('talks Streamable HTTP to an http(s) URL', async () => {
    const server = (await startHttpPriceServer()) as { url: string; close: () => Promise<void> };
    cleanups.push(() => server.close());
    const s = new McpPriceSource({ target: server.url, symbolOf: (m: string) => bundledMarket(m).name });
    cleanups.push(() => s.close());
    expect(await s.price('btcusd')).toBe('60123.5');
  });

  it('createPriceSource: offline replays the bundled sample; the MCP comes first with Bitstamp as fallback', async () => {
    const clock = new ManualClock(0);
    const offline = createPriceSource({ offline: true, priceTool: 'get_price', bitstampApiUrl: 'http://127.0.0.1:1' }, { clock });
    expect(await offline.price('btcusd')).toBe('60011');
    const viaMcp = createPriceSource(
      { offline: false, priceMcp: `${process.execPath} ${FIXTURE}`, priceTool: 'get_price', bitstampApiUrl: 'http://127.0.0.1:1' },
      { clock, childEnv: { PATH: '/usr/bin:/bin' } },
    );
    cleanups.push(async () => viaMcp.close?.());
    expect(await viaMcp.price('btcusd')).toBe('60123.5');
    expect((await rejects(viaMcp.price('ltcusd'))).message).toMatch(/Bitstamp ticker for ltcusd is unavailable/);
    expect([symbolOfMarket('btcusd'), symbolOfMarket('ethusdt'), symbolOfMarket('xrpeur')]).toEqual(['BTC/USD', 'ETH/USDT', 'XRP/EUR']);
  });

  it('an unreachable MCP is EXCHANGE_UNAVAILABLE, and a later call tries again', async () => {
    const s = new McpPriceSource({ target: '/nonexistent/price-mcp', symbolOf: (m: string) => bundledMarket(m).name, childEnv: {}, timeoutMs: 2000 });
    expect((await rejects(s.price('btcusd'))).code).toBe('EXCHANGE_UNAVAILABLE');
    expect((await rejects(s.price('btcusd'))).code).toBe('EXCHANGE_UNAVAILABLE');
  });
});
