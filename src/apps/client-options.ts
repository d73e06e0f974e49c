/** The options each official client needs to reach one app on a running herald. */
import type { App } from './app.js';

/** `[::1]` where a URL or `host:port` needs it (pusher-js and the SDKs append `:port`). */
export const urlHost = (host: string) =>
  host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * Second argument of pusher-js's `new Pusher(key, options)`. pusher-js connects to `wsPort` over
 * `ws://`, or to `wssPort` over `wss://` with `forceTLS`; `tls` (default false) picks the latter.
 */
export function pusherJsOptions(websocket: Endpoint, path = '', tls = false) {
  return {
    cluster: 'herald', // pusher-js 8 throws without a cluster, even when wsHost is set
    wsHost: urlHost(websocket.host),
    wsPort: websocket.port,
    ...(tls ? { wssPort: websocket.port } : {}),
    ...(path === '' ? {} : { wsPath: path }),
    forceTLS: tls,
    // No HTTP fallbacks: herald serves WebSocket only. With forceTLS, pusher-js dials wss://
    // through the transport it names `ws`: `['wss']` alone would leave it none and fail.
    enabledTransports: ['ws'] as ['ws'],
    disableStats: true as const,
  };
}

/**
 * Options of the `pusher` Node SDK's `new Pusher(options)` (it wants the port as a string);
 * `tls` (default false) makes it `https://`.
 */
export function pusherSdkOptions(app: App, api: Endpoint, tls = false) {
  return {
    appId: app.id,
    key: app.key,
    secret: app.secret,
    host: urlHost(api.host),
    port: String(api.port),
    useTLS: tls,
  };
}
