/**
 * How long a store keeps a held vacancy or removal (see `ChannelIndex`), given the hold time:
 * well past it, so the holder's claim, due when its delay ends (later on a busy event loop),
 * still finds the hold. A holder that died never claims; past this its hold is forgotten and a
 * later join is news again. 0 holds nothing.
 */
export function holdTtlMs(holdMs: number): number {
  return holdMs <= 0 ? 0 : 2 * holdMs + 30_000;
}
