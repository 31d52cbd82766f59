import { describe, expect, it } from 'vitest';
import { formatMoney, formatPlain, groupThousands, microToCents, toMicro } from '../../src/shared/money';

describe('money in micro-units', () => {
  it('converts decimal prices without float drift', () => {
    expect(toMicro(150.25)).toBe(150_250_000);
    expect(toMicro('0.1')).toBe(100_000);
    expect(toMicro(0.1 + 0.2)).toBe(300_000);
    expect(toMicro(-1234.5)).toBe(-1_234_500_000);
    expect(() => toMicro(Number.NaN)).toThrow(/finite/);
  });
  it('formats money like the seed reports', () => {
    expect(formatMoney(187_500_000_000)).toBe('$187,500.00');
    expect(formatMoney(-1_234_500_000)).toBe('-$1,234.50');
    expect(formatMoney(0)).toBe('$0.00');
    expect(formatMoney(-4_000)).toBe('$0.00'); // rounds to zero cents: no negative zero
    expect(formatMoney(5_000)).toBe('$0.01'); // half away from zero
    expect(formatMoney(-5_000)).toBe('-$0.01');
    expect(formatMoney(12_345_678_901_234_567_890n)).toBe('$12,345,678,901,234.57');
    expect(formatPlain(-1_234_500_000)).toBe('-1234.50');
    expect(formatPlain(999_994_999)).toBe('999.99');
    expect(microToCents(1_234_565_000)).toBe(1234.57);
    expect(microToCents(-1_234_565_000)).toBe(-1234.57);
    expect(groupThousands(1250)).toBe('1,250');
    expect(groupThousands(-1_000_000)).toBe('-1,000,000');
    expect(groupThousands(999)).toBe('999');
  });
});
