/**
 * The chat's messages: what one is, the rules a new one must follow, and where they are kept.
 * This example keeps them in memory, so they are gone when the server stops; a real app puts a
 * database behind the same interface and nothing else changes.
 */
import { HttpError } from './http.js';
import type { User } from './sessions.js';

export interface Message {
  /** Increasing in the order messages were added: "1", "2", … */
  readonly id: string;
  readonly user: User;
  readonly text: string;
  /** When the server stored it, ISO 8601 in UTC. */
  readonly sentAt: string;
}

/**
 * Where messages are kept. Both methods are asynchronous so that a database fits behind them.
 * An implementation assigns ids that increase in the order `add` was called, which is the order
 * `latest` returns them in.
 */
export interface MessageStore {
  /** The last `limit` messages, oldest first. */
  latest(limit: number): Promise<Message[]>;
  /** Stores a message, giving it its id and time. */
  add(user: User, text: string): Promise<Message>;
}

/** Longest message text, in characters (UTF-16 code units, as the page's `maxlength` counts). */
export const MAX_TEXT_LENGTH = 500;

/** The text of a new message, trimmed; anything but 1 to MAX_TEXT_LENGTH characters is a 400. */
export function parseText(value: unknown): string {
  if (typeof value !== 'string') throw new HttpError(400, '`text` must be a string');
  const text = value.trim();
  if (text === '') throw new HttpError(400, '`text` must not be empty');
  if (text.length > MAX_TEXT_LENGTH) {
    throw new HttpError(400, `\`text\` is longer than ${MAX_TEXT_LENGTH} characters`);
  }
  return text;
}

/** Messages in memory, in order; the oldest are dropped beyond `keep` (default 1000). */
export class MemoryMessageStore implements MessageStore {
  readonly #messages: Message[] = [];
  readonly #keep: number;
  readonly #now: () => Date;
  #lastId = 0;

  constructor({ keep = 1000, now = () => new Date() }: { keep?: number; now?: () => Date } = {}) {
    this.#keep = keep;
    this.#now = now;
  }

  async latest(limit: number): Promise<Message[]> {
    return limit <= 0 ? [] : this.#messages.slice(-limit);
  }

  async add(user: User, text: string): Promise<Message> {
    this.#lastId += 1;
    const message = { id: String(this.#lastId), user, text, sentAt: this.#now().toISOString() };
    this.#messages.push(message);
    if (this.#messages.length > this.#keep) this.#messages.shift();
    return message;
  }
}
