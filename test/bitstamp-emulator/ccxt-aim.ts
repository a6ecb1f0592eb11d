/**
 * Points every URL of a ccxt bitstamp instance at the emulator. ccxt signs the URL minus "https://",
 * so the URLs say https and the fetch sends the same request over plain http; any other host fails
 * the call (and the test). Every host asked for is pushed to `hosts`, for a final check.
 */
import type { Exchange } from 'ccxt';
import type { BitstampEmulator } from './index.ts';

export function aimCcxtAtEmulator(ex: Exchange, emulator: Pick<BitstampEmulator, 'apiUrl' | 'wsUrl'>, hosts: string[] = []): void {
  const host = new URL(emulator.apiUrl).host;
  const urls = ex.urls as { api: Record<string, string> };
  urls.api = { public: `https://${host}/api`, private: `https://${host}/api`, ws: emulator.wsUrl };
  ex.fetchImplementation = async (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) => {
    const u = new URL(url);
    hosts.push(u.host);
    if (u.protocol !== 'https:' || u.host !== host) throw new Error(`ccxt tried to reach ${u.origin}`);
    return fetch(`http://${host}${u.pathname}${u.search}`, { method: init.method, headers: init.headers, body: init.body ?? null, signal: init.signal ?? null });
  };
}

/** Only loopback WebSocket URLs: a ccxt.pro client anywhere else is a test that reached out. */
export function wsHostsOf(ex: Exchange): string[] {
  return Object.keys(ex.clients ?? {}).filter((k) => k.includes('://'));
}
