// Event builders for the ledger tests.
export const SIDE: Record<string, 'BUY' | 'SELL'> = {
  LT_LONG_INCREASE: 'BUY',
  LT_LONG_DECREASE: 'SELL',
  LT_SHORT_INCREASE: 'SELL',
  LT_SHORT_DECREASE: 'BUY',
  MM_LONG_INCREASE: 'BUY',
  MM_LONG_DECREASE: 'SELL',
  MM_SHORT_INCREASE: 'SELL',
  MM_SHORT_DECREASE: 'BUY',
};

export function fill(
  id: string,
  symbol: string,
  classification: string,
  qty: number | string,
  price: number | string,
  ts: string | number = '2024-01-15T15:00:00Z',
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    event_id: id,
    order_id: `o-${id}`,
    ts,
    symbol,
    classification,
    side: SIDE[classification],
    event_type: 'FILL',
    fill_qty: qty,
    fill_price: price,
    ...extra,
  };
}

/** One order event as a JSON line: a 1 @ 100 AAPL fill, or a lifecycle event of `type` (ACK, NEW, …) with that id. */
export function eventLine(id: string, type = 'FILL'): string {
  return JSON.stringify({
    event_id: id,
    order_id: `o-${id}`,
    ts: '2024-01-16T15:00:00Z',
    symbol: 'AAPL',
    classification: 'LT_LONG_INCREASE',
    side: 'BUY',
    event_type: type,
    ...(type === 'FILL' || type === 'PARTIAL_FILL' ? { fill_qty: 1, fill_price: 100 } : {}),
  });
}
