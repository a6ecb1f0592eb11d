/**
 * The order snapshot's stored JSON, produced incrementally. Every transition is persisted, and
 * JSON.stringify of a fresh {value, context} object was a large share of its cost: the fields set
 * at creation are serialised once per order and reused. The bytes are exactly those of
 * `JSON.stringify(persistOrderSnapshot(snapshot))` (fixed key order, undefined fields dropped);
 * test/property/order-snapshot-json.property.test.ts holds the two equal.
 */
import { CONTEXT_KEYS, persistOrderSnapshot, type OrderSnapshot } from './order.machine.ts';
import type { OrderContext } from './order.types.ts';

/**
 * What orderSnapshotJson keeps per order between transitions: the JSON of the context fields set at
 * creation (orderId .. createdAt, of which only exchangeOrderId ever changes), with the values it
 * was built from. Start with `newOrderJsonCache()`; one per order.
 */
export interface OrderJsonCache {
  values: unknown[];
  head: string;
}

export function newOrderJsonCache(): OrderJsonCache {
  return { values: [], head: '' };
}

const HEAD_KEYS = CONTEXT_KEYS.slice(0, CONTEXT_KEYS.indexOf('createdAt') + 1);
const TAIL_KEYS = CONTEXT_KEYS.slice(HEAD_KEYS.length);
const KEY_JSON = new Map(CONTEXT_KEYS.map((k) => [k, `${JSON.stringify(k)}:`]));

/** `"k":v` pieces of the defined fields, comma-separated; undefined if a value is not JSON data. */
function fieldsJson(ctx: Record<string, unknown>, keys: readonly (keyof OrderContext)[]): string | undefined {
  let out = '';
  for (const k of keys) {
    const v = ctx[k];
    if (v === undefined) continue;
    const json = JSON.stringify(v) as string | undefined;
    if (json === undefined) return undefined;
    out += `${out === '' ? '' : ','}${KEY_JSON.get(k) as string}${json}`;
  }
  return out;
}

/**
 * Exactly `JSON.stringify(persistOrderSnapshot(snapshot))`, at a fraction of the cost on the hot
 * path (every transition is persisted): the creation-time fields are serialised once per order.
 */
export function orderSnapshotJson(snapshot: OrderSnapshot, cache: OrderJsonCache): string {
  const ctx = snapshot.context as unknown as Record<string, unknown>;
  let valid = cache.values.length === HEAD_KEYS.length;
  for (let i = 0; valid && i < HEAD_KEYS.length; i++) valid = cache.values[i] === ctx[HEAD_KEYS[i] as string];
  if (!valid) {
    const head = fieldsJson(ctx, HEAD_KEYS);
    if (head === undefined) return JSON.stringify(persistOrderSnapshot(snapshot));
    // Only primitives are compared by value next time (an array could change in place).
    const values = HEAD_KEYS.map((k) => ctx[k]);
    cache.values = values.every((v) => v === null || typeof v !== 'object') ? values : [];
    cache.head = head;
  }
  const tail = fieldsJson(ctx, TAIL_KEYS);
  const value = JSON.stringify(snapshot.value) as string | undefined;
  if (tail === undefined || value === undefined) return JSON.stringify(persistOrderSnapshot(snapshot));
  const sep = cache.head !== '' && tail !== '' ? ',' : '';
  return `{"value":${value},"context":{${cache.head}${sep}${tail}}}`;
}
