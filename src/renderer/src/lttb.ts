// Largest-Triangle-Three-Buckets downsampling: keeps a long series' shape in at most `threshold` points, because
// SVG charts lag past a few thousand points.
export function lttb<T>(data: readonly T[], threshold: number, x: (d: T) => number, y: (d: T) => number | null): T[] {
  const n = data.length;
  if (threshold >= n || threshold < 3) return data.slice();
  const out: T[] = [data[0]];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    const start = Math.floor((i + 1) * every) + 1;
    const end = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    let cnt = 0;
    for (let j = start; j < end; j++) {
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
    const rs = Math.floor(i * every) + 1;
    const re = Math.floor((i + 1) * every) + 1;
    const ax = x(data[a]);
    const ay = y(data[a]) ?? avgY;
    let best = rs;
    let bestArea = -1;
    for (let j = rs; j < re; j++) {
      const yy = y(data[j]) ?? avgY;
      const area = Math.abs((ax - avgX) * (yy - ay) - (ax - x(data[j])) * (avgY - ay));
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
