// Largest-Triangle-Three-Buckets downsampling (Steinarsson 2013): keeps the visual shape of a long series in at
// most `threshold` points (SVG charts lag past a few thousand); the first and last points are always kept. Points
// whose y is null (a gap, e.g. no exposure) are skipped in the averages. Used by the engine's band history and by
// the renderer's chart alike.
export function lttb<T>(data: readonly T[], threshold: number, x: (p: T) => number, y: (p: T) => number | null): T[] {
  const n = data.length;
  if (threshold >= n) return data.slice();
  if (threshold < 3) return threshold <= 0 ? [] : threshold === 1 ? [data[n - 1]] : [data[0], data[n - 1]];
  const out: T[] = [data[0]];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    // Average of the next bucket.
    const nextStart = Math.floor((i + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    let cnt = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      const yy = y(data[j]);
      if (yy === null) continue;
      avgX += x(data[j]);
      avgY += yy;
      cnt++;
    }
    if (cnt) {
      avgX /= cnt;
      avgY /= cnt;
    }
    // The point of this bucket with the largest triangle against a and the average.
    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    const ax = x(data[a]);
    const ay = y(data[a]) ?? avgY;
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const area = Math.abs((ax - avgX) * ((y(data[j]) ?? avgY) - ay) - (ax - x(data[j])) * (avgY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    out.push(data[best]);
    a = best;
  }
  out.push(data[n - 1]);
  return out;
}
