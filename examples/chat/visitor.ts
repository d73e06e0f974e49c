/**
 * For the tests: a visitor of the chat backend over plain HTTP, as curl (or the page) talks to
 * it. It keeps the cookie `POST /session` sets and sends it with every request.
 */

export interface Answer<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

type Json = Record<string, unknown>;

export class Visitor {
  #cookie: string | undefined;

  constructor(readonly baseUrl: string) {}

  /** A visitor already signed in as `name`. */
  static async signedIn(baseUrl: string, name: string): Promise<Visitor> {
    const visitor = new Visitor(baseUrl);
    const { status, body } = await visitor.signIn(name);
    if (status !== 201)
      throw new Error(`cannot sign in as ${name}: ${status} ${String(body.error)}`);
    return visitor;
  }

  /** `POST /session` with `{"name": name}`; keeps the session cookie it sets. */
  async signIn(name: string): Promise<Answer<Json>> {
    const answer = await this.json('POST', '/session', { name });
    const cookie = answer.headers.get('set-cookie');
    if (cookie !== null) this.#cookie = cookie.split(';')[0];
    return answer;
  }

  /** A request with a JSON body (when `body` is given), as the page and `curl --json` send. */
  json<T = Json>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    return this.request<T>(method, path, {
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
  }

  /** A form-encoded POST, as pusher-js sends to the auth endpoints. */
  form<T = Json>(path: string, fields: Record<string, string>): Promise<Answer<T>> {
    return this.request<T>('POST', path, {
      body: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  /** Any request, with the session cookie; the body is parsed as JSON (`{}` when empty). */
  async request<T = Json>(
    method: string,
    path: string,
    init: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      body: init.body,
      headers: { ...init.headers, ...(this.#cookie === undefined ? {} : { cookie: this.#cookie }) },
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text === '' ? {} : JSON.parse(text)) as T,
    };
  }
}
