import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { crc32Combine } from '../../main/store/pooled-crc.ts';

describe('crc32Combine', () => {
  it('gives the CRC-32 of two runs one after the other from their own, for empty, odd and large second runs', () => {
    for (const [a, b] of [
      [0, 5],
      [1, 1],
      [7, 1000],
      [100_000, 3],
      [13, 0],
      [5 << 20, 7 << 20],
    ] as const) {
      const x = randomBytes(a);
      const y = randomBytes(b);
      expect(crc32Combine(crc32(x), crc32(y), b), `${a} then ${b}`).toBe(crc32(Buffer.concat([x, y])));
    }
  });
});
