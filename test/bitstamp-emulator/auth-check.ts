/**
 * Strict server-side checks of Bitstamp API v2 auth (BITSTAMP.md §7.1-5), computed independently
 * of src/exchanges/bitstamp/auth.ts (node:crypto, own string building) so the two check each other.
 */
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../../src/domain/clock.ts';
import type { EmuAccount } from './engine.ts';
import { authError } from './wire.ts';

const WINDOW_MS = 150_000;
const FORM = 'application/x-www-form-urlencoded';

export function hmacHex(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message).digest('hex');
}

export class AuthChecker {
  private readonly nonces = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly accountByKey: (key: string) => EmuAccount | undefined,
  ) {}

  /** Returns the caller's account, or throws the EmuError Bitstamp would send. */
  check(method: string, host: string, pathname: string, query: string, headers: IncomingHttpHeaders, body: string): { account: EmuAccount; nonce: string; timestamp: string } {
    const h = (name: string): string | undefined => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const xAuth = h('x-auth');
    const signature = h('x-auth-signature');
    const nonce = h('x-auth-nonce');
    const timestamp = h('x-auth-timestamp');
    const version = h('x-auth-version');
    if (xAuth === undefined) throw authError('API0012', 'Missing X-Auth header.');
    if (signature === undefined) throw authError('API0013', 'Missing X-Auth-Signature header.');
    if (nonce === undefined) throw authError('API0014', 'Missing X-Auth-Nonce header.');
    if (timestamp === undefined) throw authError('API0015', 'Missing X-Auth-Timestamp header.');
    if (version === undefined) throw authError('API0016', 'Missing X-Auth-Version header.');
    if (version !== 'v2') throw authError('API0010', 'Invalid version.');
    const m = /^BITSTAMP (\S+)$/.exec(xAuth);
    if (!m || m[1] === undefined) throw authError('API0011', 'Wrong API key format.');
    const account = this.accountByKey(m[1]);
    if (!account) throw authError('API0001', 'API key not found.');
    if (!/^\d+$/.test(timestamp)) throw authError('API0018', 'X-Auth-Timestamp header is invalid.');
    if (Math.abs(this.clock.now() - Number(timestamp)) > WINDOW_MS) throw authError('API0017', 'X-Auth-Timestamp header is out of boundaries.');
    const contentType = h('content-type');
    if (body === '' && contentType !== undefined) throw authError('API0020', 'Content-Type header should not be present.');
    if (body !== '' && contentType !== FORM) throw authError('API0019', 'Content-Type header is not accepted.');
    if (!/^[0-9a-z-]{36}$/.test(nonce)) throw authError('API0004', 'Invalid nonce.');
    const message = `BITSTAMP ${m[1]}${method}${host}${pathname}${query}${body === '' ? '' : FORM}${nonce}${timestamp}v2${body}`;
    if (hmacHex(account.secret, message) !== signature.toLowerCase()) throw authError('API0005', 'Invalid signature.');
    this.pruneNonces();
    if (this.nonces.has(`${m[1]}:${nonce}`)) throw authError('API0004', 'Invalid nonce.');
    this.nonces.set(`${m[1]}:${nonce}`, this.clock.now());
    return { account, nonce, timestamp };
  }

  private pruneNonces(): void {
    const cutoff = this.clock.now() - WINDOW_MS;
    for (const [n, at] of this.nonces) {
      if (at >= cutoff) break; // insertion order ~ time order
      this.nonces.delete(n);
    }
  }
}
