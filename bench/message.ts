/**
 * The benchmark's event: what the trigger client sends and how a subscriber reads it back.
 *
 * `data` is a JSON string, as real apps send, carrying a sequence number and the send time from
 * `performance.now()` (subscribers run in the same process, so the clocks agree). Both servers
 * relay it as `{"event":…,"channel":…,"data":"…"}` made by `JSON.stringify`, so subscribers see
 * the same bytes from either, and the send time is the number just before the closing `}"}`: it
 * is read from the bytes in place, with no string or JSON document per delivery.
 */
export const benchEvent = 'bench';
/** The channel of a one-channel run. */
export const benchChannel = 'bench';

/** The name of channel `index` of `channels`: `bench` alone, `bench-0` … `bench-{n-1}` of many. */
export function channelName(index: number, channels: number): string {
  return channels === 1 ? benchChannel : `bench-${index}`;
}

/** The body `pusher.trigger(channel, 'bench', data)` sends, `data` padded to about `dataBytes`. */
export function triggerBody(
  seq: number,
  sentAt: number,
  dataBytes: number,
  channel = benchChannel,
): string {
  const bare = JSON.stringify({ pad: '', seq, sentAt });
  const pad = 'x'.repeat(Math.max(0, dataBytes - bare.length));
  return JSON.stringify({
    name: benchEvent,
    channels: [channel],
    data: JSON.stringify({ pad, seq, sentAt }),
  });
}

/** The bytes every bench frame on `channel` starts with, for {@link isBenchFrame}. */
export function framePrefix(channel: string): Buffer {
  return Buffer.from(JSON.stringify({ event: benchEvent, channel, data: '' }).slice(0, -2));
}

const QUOTE = 0x22;
const BRACE = 0x7d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;

/** True when `bytes[start, end)` starts with `prefix` (a bench event, not e.g. `pusher:ping`). */
export function isBenchFrame(bytes: Buffer, start: number, end: number, prefix: Buffer): boolean {
  if (end - start < prefix.length + 3) return false;
  // A loop over 40 bytes beats Buffer#compare, whose native call costs more than the compare.
  for (let i = 0; i < prefix.length; i++) if (bytes[start + i] !== prefix[i]) return false;
  return true;
}

/** The send time of a bench frame (`bytes[start, end)`), or NaN when its tail is not as sent. */
export function readSentAt(bytes: Buffer, start: number, end: number): number {
  const last = end - 3;
  if (bytes[last] !== BRACE || bytes[last + 1] !== QUOTE || bytes[last + 2] !== BRACE) return NaN;
  let first = last;
  while (first > start) {
    const byte = bytes[first - 1]!;
    if ((byte < ZERO || byte > NINE) && byte !== DOT) break;
    first--;
  }
  if (first === last || bytes[first - 1] !== COLON) return NaN;
  let value = 0;
  let scale = 0;
  for (let at = first; at < last; at++) {
    const byte = bytes[at]!;
    if (byte === DOT) scale = 1;
    else {
      value = value * 10 + (byte - ZERO);
      scale *= 10;
    }
  }
  return scale === 0 ? value : value / scale;
}

/**
 * Full check of one delivered frame, done once per run: the envelope and the payload must be
 * exactly what was triggered, so a server that mangles events cannot score.
 */
export function checkFrame(text: string, channel: string): string | undefined {
  try {
    const frame = JSON.parse(text) as { event?: unknown; channel?: unknown; data?: unknown };
    if (frame.event !== benchEvent || frame.channel !== channel) {
      return `unexpected envelope: ${text.slice(0, 200)}`;
    }
    if (typeof frame.data !== 'string') return `data is not a string: ${text.slice(0, 200)}`;
    const data = JSON.parse(frame.data) as { pad?: unknown; seq?: unknown; sentAt?: unknown };
    if (typeof data.seq !== 'number' || typeof data.sentAt !== 'number') {
      return `data lost its fields: ${frame.data.slice(0, 200)}`;
    }
    return undefined;
  } catch {
    return `not JSON: ${text.slice(0, 200)}`;
  }
}
