/** The average-cost position rules of domain/positions.ts against hand-computed examples. */
import { describe, expect, it } from 'vitest';
import { D } from '../../src/domain/money.ts';
import { positionsFromFills, unrealizedPnl, type PositionFill } from '../../src/domain/positions.ts';

const btcusd = () => ({ base: 'BTC', quote: 'USD' });
const fill = (side: 'buy' | 'sell', amount: string, price: string, fee = '0', fee_currency = 'USD'): PositionFill => ({ market: 'btcusd', side, amount, price, fee, fee_currency });

describe('positionsFromFills', () => {
  it('buy 1 @100, buy 1 @200, sell 1 @300 (fees 0.3/0.6/0.9 USD): amount 1, average 150, realized 150 - 1.8', () => {
    const [p] = positionsFromFills([fill('buy', '1', '100', '0.3'), fill('buy', '1', '200', '0.6'), fill('sell', '1', '300', '0.9')], btcusd);
    expect(p!.amount.toFixed()).toBe('1');
    expect(p!.averageCost.toFixed()).toBe('150');
    expect(p!.realized.toFixed()).toBe('148.2');
    expect(p!.quoteFees.toFixed()).toBe('1.8');
    expect(unrealizedPnl(p!, new D('250')).toFixed()).toBe('100');
  });

  it('weights the average by amount and keeps it when reducing', () => {
    const [p] = positionsFromFills([fill('buy', '0.5', '100'), fill('buy', '0.25', '130'), fill('sell', '0.25', '90')], btcusd);
    expect(p!.averageCost.toFixed()).toBe('110'); // (50 + 32.5) / 0.75
    expect(p!.amount.toFixed()).toBe('0.5');
    expect(p!.realized.toFixed()).toBe('-5'); // 0.25 x (90 - 110)
  });

  it('a sell beyond the position flips it short at the fill price; covering realizes the short', () => {
    const fills = [fill('buy', '1', '150'), fill('sell', '2', '120', '0.72')];
    const [p] = positionsFromFills(fills, btcusd);
    expect(p!.amount.toFixed()).toBe('-1');
    expect(p!.averageCost.toFixed()).toBe('120');
    expect(p!.realized.toFixed()).toBe('-30.72'); // 1 x (120 - 150) - 0.72
    expect(unrealizedPnl(p!, new D('100')).toFixed()).toBe('20'); // short 1 from 120, mark 100
    const [closed] = positionsFromFills([...fills, fill('buy', '1', '110')], btcusd);
    expect(closed!.amount.isZero()).toBe(true);
    expect(closed!.averageCost.toFixed()).toBe('0');
    expect(closed!.realized.toFixed()).toBe('-20.72'); // + 1 x (120 - 110)
    expect(unrealizedPnl(closed!, new D('1')).toFixed()).toBe('0');
  });

  it('keeps markets apart and lists fees in another currency without netting them', () => {
    const ps = positionsFromFills(
      [fill('buy', '1', '100', '0.001', 'BTC'), { market: 'ethusd', side: 'buy', amount: '2', price: '10', fee: '0', fee_currency: 'USD' }],
      (m) => (m === 'ethusd' ? { base: 'ETH', quote: 'USD' } : btcusd()),
    );
    expect(ps.map((p) => [p.base, p.amount.toFixed(), p.averageCost.toFixed()])).toEqual([
      ['BTC', '1', '100'],
      ['ETH', '2', '10'],
    ]);
    expect(ps[0]!.realized.toFixed()).toBe('0');
    expect(ps[0]!.otherFees.get('BTC')?.toFixed()).toBe('0.001');
  });
});
