/**
 * The frame an image is seen in by the model behind the fake, the way Model
 * Studio documents its token count for Qwen2.5-VL models (a port of its
 * Python sample, Python's round() included): sides rounded to multiples of
 * 28, then scaled into [4, 1280] patches, or [4, 16384] with
 * `vl_high_resolution_images`. Kept apart from the gateway's own code on
 * purpose: the fake is the yardstick the gateway is measured against.
 */
const PATCH = 28;

/** Python 3's round(): ties go to the even integer. */
const pyRound = (x: number) => (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x));

export function seenFrame(width: number, height: number, highResolution: boolean): { width: number; height: number } {
  const minPixels = 4 * PATCH * PATCH;
  const maxPixels = (highResolution ? 16384 : 1280) * PATCH * PATCH;
  let hBar = Math.max(PATCH, pyRound(height / PATCH) * PATCH);
  let wBar = Math.max(PATCH, pyRound(width / PATCH) * PATCH);
  if (hBar * wBar > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    hBar = Math.max(PATCH, Math.floor(height / beta / PATCH) * PATCH);
    wBar = Math.max(PATCH, Math.floor(width / beta / PATCH) * PATCH);
  } else if (hBar * wBar < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    hBar = Math.ceil((height * beta) / PATCH) * PATCH;
    wBar = Math.ceil((width * beta) / PATCH) * PATCH;
  }
  return { width: wBar, height: hBar };
}
