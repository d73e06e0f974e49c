/**
 * The console's event creator: an event sent from the page goes through the very handler of
 * `POST /apps/{id}/events`, so it is validated with the same rules and messages and then
 * published, recorded, counted and webhooked like any REST trigger. The page's one extra rule:
 * its data field holds JSON, relayed as the text typed (pusher-js parses it for subscribers).
 */
import type { App } from '../apps/app.js';
import { triggerEvents, type ApiCore } from '../api/handlers.js';
import type { ApiResult } from '../api/respond.js';
import { ApiError, HttpStatus } from '../protocol/errors.js';

/**
 * Sends `{channels: string[], name, data}` (data: JSON text) from the console. Throws an
 * {@link ApiError} with the REST API's message for anything the REST API refuses, and 400
 * `Invalid JSON in data: …` for data that is not JSON.
 */
export async function sendFromConsole(
  core: ApiCore,
  app: App,
  body: Record<string, unknown>,
): Promise<ApiResult> {
  const { channels, name, data } = body;
  if (typeof data === 'string') {
    try {
      JSON.parse(data);
    } catch (error) {
      throw new ApiError(
        HttpStatus.bad_request,
        `Invalid JSON in data: ${(error as SyntaxError).message}`,
      );
    }
  }
  // Only the fields the page offers: a socket_id or info would not come from its form.
  await triggerEvents(core, { app, query: new URLSearchParams(), body: { channels, name, data } });
  return { sent: { channels, name } };
}
