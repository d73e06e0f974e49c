/**
 * What `herald doctor` tells its user to change, per failure: the option, flag or environment
 * variable to fix, or what sits between the doctor and the server.
 */
import { failedCheckOf } from '../protocol/api-signature-refusal.js';
import { CloseCode } from '../protocol/errors.js';
import type { DoctorTarget } from './doctor-checks.js';
import type { NetworkFailure } from './doctor-probes.js';

/** The fix for a connection that never got an answer. */
export function networkFix({ code }: NetworkFailure, where: URL): string {
  const address = where.host;
  switch (code) {
    case 'ECONNREFUSED':
      return (
        `nothing listens on ${address}: start the server (herald start), or point the doctor ` +
        'at it with --url or --host and --port (HERALD_HOST, HERALD_PORT, --config)'
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name ${where.hostname} does not resolve: check --url or --host`;
    case 'timeout':
      return (
        `no answer from ${address}: a firewall that drops packets, a proxy waiting for its ` +
        'backend, or a program on that port that does not speak HTTP (raise --timeout if the ' +
        'network is just slow)'
      );
    default:
      return `the connection to ${address} failed: check that the server runs and is reachable from here`;
  }
}

/** What a `pusher:error` code before the close means for the doctor's user. */
export function closeFix(code: number, target: DoctorTarget): string {
  const { key } = target.app;
  switch (code) {
    case CloseCode.app_not_found:
      return (
        `no app with key "${key}" on the server: give the key of an app it serves ` +
        '(--key, HERALD_APP_KEY or PUSHER_APP_KEY, or the app in --config)'
      );
    case CloseCode.app_disabled:
      return `the app with key "${key}" is disabled ("enabled": false in the server's config)`;
    case CloseCode.over_connection_quota:
      return `the app with key "${key}" has reached its maxConnections`;
    case CloseCode.path_not_found:
      return (
        `the server expects another path before /app/{key} than "${target.websocket.pathname}": ` +
        'give the doctor the server\'s "path" (--config), as pusher-js needs it in wsPath'
      );
    case CloseCode.over_capacity:
    case CloseCode.reconnect_now:
      return 'the server refuses new connections for now (stopping or over capacity): retry';
    default:
      return 'see PROTOCOL.md §1.6 for the close code';
  }
}

/** The fix for a 401 the doctor got although it signs exactly as the SDKs do. */
export function signatureFix(body: string, target: DoctorTarget): string {
  const { id, key } = target.app;
  switch (failedCheckOf(body)?.check) {
    case 'auth_key':
      return (
        `the key "${key}" is not app "${id}"'s on the server: give the id, key and secret of one ` +
        'app (--app-id, --key, --secret; HERALD_APP_* or PUSHER_APP_*)'
      );
    case 'auth_timestamp':
      return "this machine's clock and the server's differ by 600 s or more: synchronise both (NTP)";
    case 'auth_signature':
      return (
        `the secret is not the server's for app "${id}": give the app's secret (--secret, ` +
        'HERALD_APP_SECRET or PUSHER_APP_SECRET); or a proxy changes the path or query on the way'
      );
    default:
      return 'a proxy between here and herald changes the request on the way';
  }
}
