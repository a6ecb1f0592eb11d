/** Fault injection settings of the emulator (faults off by default); changeable at any time. */
import type { Random } from '../../src/domain/clock.ts';

/** When a fault fires: the next N matching requests, and/or with a probability. */
export interface FaultRule {
  next?: number;
  rate?: number;
  /** Endpoint prefixes it applies to, e.g. ["buy/", "sell/", "cancel_order/"]; default all private endpoints. */
  endpoints?: string[];
}

export interface Faults {
  latencyMs: number;
  /** 5xx before processing: the request had no effect. */
  errorBefore?: FaultRule & { status?: number };
  /** Processed, then 5xx (a gateway lost the answer): the request DID take effect. */
  errorAfter?: FaultRule & { status?: number };
  /** Processed, then never answered (the client times out): the request DID take effect. */
  timeoutAfterAccept?: FaultRule;
  /** TCP connection destroyed before processing. */
  dropBefore?: FaultRule;
  /** 200 with a wrong X-Server-Auth-Signature. */
  badSignature?: FaultRule;
  /** 200 with a body that is not the documented shape. */
  malformed?: FaultRule;
  ws: {
    dropRate: number;
    duplicateRate: number;
    reorderRate: number;
    muteHeartbeat: boolean;
    /** Subscribes of these channels (exact names, or markets: "btcusd") get a bts:error (channel ""), as Bitstamp answers a refused subscribe. */
    failChannels?: string[];
    /** Subscribes of these channels (or markets) are never answered. */
    silentChannels?: string[];
  };
  tokenValidSec: number;
  /** Server-side limits per API key (BITSTAMP.md §4). */
  rateLimit: { perSecond: number; perTenMinutes: number };
  /**
   * open_orders is cached server-side for 10 s on the real exchange (DOC), so it is here by
   * default; a test that needs a fresh list each call sets 0 explicitly.
   */
  openOrdersCacheMs: number;
}

export function defaultFaults(): Faults {
  return {
    latencyMs: 0,
    ws: { dropRate: 0, duplicateRate: 0, reorderRate: 0, muteHeartbeat: false },
    tokenValidSec: 60,
    rateLimit: { perSecond: 400, perTenMinutes: 10_000 },
    openOrdersCacheMs: 10_000,
  };
}

/** Whether `rule` fires for this endpoint now (consumes one `next` if so). */
export function fires(rule: FaultRule | undefined, endpoint: string, random: Random): boolean {
  if (!rule) return false;
  if (rule.endpoints && !rule.endpoints.some((p) => endpoint.startsWith(p))) return false;
  if (rule.next !== undefined && rule.next > 0) {
    rule.next--;
    return true;
  }
  return rule.rate !== undefined && rule.rate > 0 && random() < rule.rate;
}

export const ORDER_ENDPOINTS = ['buy/', 'sell/', 'cancel_order/', 'cancel_all_orders/'];
