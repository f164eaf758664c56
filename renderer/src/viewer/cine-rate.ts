/**
 * The rate a multi-frame object or a series plays at (PS3.3 C.7.6.5 Cine Module): Recommended Display Frame Rate
 * (0008,2144) first, else Cine Rate (0018,0040), else 1000 / Frame Time (0018,1063, ms), else the Frame Time Vector's
 * mean; a series of single images without any of them plays at `fallback` frames per second.
 */
export function cineFramesPerSecond(
  meta: { recommendedDisplayFrameRate?: number; cineRate?: number; frameTime?: number; frameTimeVector?: number[] },
  fallback = 10,
): number {
  const ok = (n: number | undefined): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;
  if (ok(meta.recommendedDisplayFrameRate)) return meta.recommendedDisplayFrameRate;
  if (ok(meta.cineRate)) return meta.cineRate;
  if (ok(meta.frameTime)) return 1000 / meta.frameTime;
  const vector = (meta.frameTimeVector ?? []).filter(ok);
  if (vector.length) return 1000 / (vector.reduce((a, b) => a + b, 0) / vector.length);
  return fallback;
}
