// The middle of a benchmark's samples (the upper middle for an even count): one slow or fast round,
// a GC or another process waking up, does not move it.
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
