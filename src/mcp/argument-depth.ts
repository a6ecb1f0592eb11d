/**
 * Tool arguments nested deeper than any tool needs are refused before validation: zod, the
 * services and error messages all recurse, and a 1e5-deep value (cheap to send) overflowed the
 * stack there and came back as INTERNAL. The deepest legitimate argument is about 5 levels
 * (backtest quote levels: data.quotes[i].bids[j][k]), so 64 leaves ample room.
 */
import { DomainError } from '../domain/errors.ts';

export const MAX_ARGUMENT_DEPTH = 64;

/** Path of the first value nested more than `max` levels deep (each array or object is a level), else undefined. */
export function pathDeeperThan(value: unknown, max: number = MAX_ARGUMENT_DEPTH): string[] | undefined {
  const path: string[] = [];
  // Recursion is bounded by `max`, so it cannot itself overflow the stack.
  const walk = (v: unknown, depth: number): boolean => {
    if (v === null || typeof v !== 'object') return false;
    if (depth > max) return true;
    for (const [k, child] of Array.isArray(v) ? v.entries() : Object.entries(v)) {
      path.push(String(k));
      if (walk(child, depth + 1)) return true;
      path.pop();
    }
    return false;
  };
  return walk(value, 0) ? path : undefined;
}

/** INVALID_ARGUMENT naming the top-level field when `args` is nested too deeply. */
export function checkArgumentDepth(args: unknown, max: number = MAX_ARGUMENT_DEPTH): void {
  const path = pathDeeperThan(args, max);
  if (!path) return;
  const shown = path.length > 4 ? `${path.slice(0, 4).join('.')}...` : path.join('.');
  throw new DomainError('INVALID_ARGUMENT', `${path[0] ?? 'arguments'}: nested more than ${max} levels deep (at ${shown}); no argument needs that`, {
    fields: [path[0] ?? 'arguments'],
  });
}
