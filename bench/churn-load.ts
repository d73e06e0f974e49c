/**
 * The churn load: cycles run by a bounded number of concurrent workers, each worker starting its
 * next cycle when the last one is over, in batches: {@link ChurnLoad.run} resolves once every
 * cycle of the batch has ended and every socket it opened is closed on this side, so whoever
 * runs it can look at the server between batches. The mix is drawn from a seeded generator
 * (`churn-mix.ts`) and tallied, so a caller can check the server saw what was sent.
 */
import { runCycle, type Authorize, type ChurnTarget } from './churn-cycle.js';
import {
  channelKinds,
  closeModes,
  planCycle,
  seededRandom,
  type ChannelKind,
  type CloseMode,
} from './churn-mix.js';

export type { Authorize, ChurnTarget };

export interface ChurnLoadOptions {
  /** Cycles in flight at once. */
  readonly concurrency: number;
  /** Seed of the mix (default 1). */
  readonly seed?: number;
  /** Bound of each wait for the server, in ms (default 10 000). */
  readonly timeoutMs?: number;
}

/** What the cycles so far did. */
export interface ChurnTally {
  readonly cycles: number;
  readonly kinds: Readonly<Record<ChannelKind, number>>;
  readonly closes: Readonly<Record<CloseMode, number>>;
  /** Client events the server accepted (each confirmed by a ping round trip). */
  readonly clientEvents: number;
  /** Every channel subscribed to, and the presence ones among them. */
  readonly channels: ReadonlySet<string>;
  readonly presenceChannels: ReadonlySet<string>;
  /** The most confirmed subscriptions one presence user held at once on one channel. */
  readonly maxConnectionsPerMember: number;
}

const zeros = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;

export class ChurnLoad {
  readonly #target: ChurnTarget;
  readonly #authorize: Authorize;
  readonly #concurrency: number;
  readonly #timeoutMs: number;
  readonly #random: () => number;
  #cycles = 0;
  #clientEvents = 0;
  readonly #kinds = zeros(channelKinds);
  readonly #closes = zeros(closeModes);
  readonly #channels = new Set<string>();
  readonly #presenceChannels = new Set<string>();
  /** `channel user` → its confirmed subscriptions open right now. */
  readonly #members = new Map<string, number>();
  #maxPerMember = 0;

  constructor(target: ChurnTarget, authorize: Authorize, options: ChurnLoadOptions) {
    this.#target = target;
    this.#authorize = authorize;
    this.#concurrency = options.concurrency;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#random = seededRandom(options.seed ?? 1);
  }

  get tally(): ChurnTally {
    return {
      cycles: this.#cycles,
      kinds: { ...this.#kinds },
      closes: { ...this.#closes },
      clientEvents: this.#clientEvents,
      channels: new Set(this.#channels),
      presenceChannels: new Set(this.#presenceChannels),
      maxConnectionsPerMember: this.#maxPerMember,
    };
  }

  /**
   * Runs `count` more cycles. Resolves when all are over and their sockets closed; on the first
   * failure starts no more cycles, lets those under way end, and rejects with that failure.
   */
  async run(count: number): Promise<void> {
    const closing: Array<Promise<void>> = [];
    let started = 0;
    let failure: Error | undefined;
    const worker = async () => {
      while (started < count && failure === undefined) {
        started += 1;
        const cycle = this.#cycles + started;
        const failed = (error: unknown) => {
          failure ??= new Error(`cycle ${cycle}: ${(error as Error).message}`);
        };
        try {
          const { closed } = await this.#cycle();
          closing.push(closed.catch(failed));
        } catch (error) {
          failed(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, count) }, worker));
    this.#cycles += started;
    await Promise.all(closing);
    if (failure !== undefined) throw failure;
  }

  /** One cycle; resolves when it is over, with the close still under way (no-wait). */
  async #cycle(): Promise<{ closed: Promise<void> }> {
    const plan = planCycle(this.#random);
    this.#kinds[plan.kind] += 1;
    this.#closes[plan.close] += 1;
    this.#channels.add(plan.channel);
    const key = plan.member === undefined ? undefined : `${plan.channel} ${plan.member.user_id}`;
    if (key !== undefined) this.#presenceChannels.add(plan.channel);
    let held = false;
    const hold = () => {
      if (key === undefined) return;
      held = true;
      const now = (this.#members.get(key) ?? 0) + 1;
      this.#members.set(key, now);
      this.#maxPerMember = Math.max(this.#maxPerMember, now);
    };
    try {
      const result = await runCycle(this.#target, plan, this.#authorize, this.#timeoutMs, hold);
      if (plan.clientEvent) this.#clientEvents += 1;
      return result;
    } finally {
      if (held) this.#members.set(key!, this.#members.get(key!)! - 1);
    }
  }
}
