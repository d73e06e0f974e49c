import { CloseCode } from './errors.js';

/** Protocol versions herald speaks; 4–6 are treated exactly like 7 (PROTOCOL.md §1.2). */
const MIN_PROTOCOL = 4;
const MAX_PROTOCOL = 7;

export type ConnectionRequest =
  | { readonly ok: true; readonly appKey: string; readonly protocol: number }
  | { readonly ok: false; readonly code: CloseCode; readonly appKey?: string };

/**
 * Checks a WebSocket upgrade's path and query: `{prefix}/app/{key}?protocol=7…` (§1.1, §1.2).
 * The app key is not looked up here; the caller does that (4001).
 * @param prefix the configured `path` option ('' or '/ws').
 */
export function parseConnectionRequest(
  pathname: string,
  query: URLSearchParams,
  prefix = '',
  allowMissingProtocol = false,
): ConnectionRequest {
  const base = `${prefix}/app/`;
  if (!pathname.startsWith(base)) return { ok: false, code: CloseCode.path_not_found };
  let appKey: string;
  try {
    appKey = decodeURIComponent(pathname.slice(base.length));
  } catch {
    return { ok: false, code: CloseCode.path_not_found };
  }
  if (appKey.length === 0 || appKey.includes('/')) {
    return { ok: false, code: CloseCode.path_not_found };
  }
  const version = query.get('protocol');
  if (version === null) {
    return allowMissingProtocol
      ? { ok: true, appKey, protocol: MAX_PROTOCOL }
      : { ok: false, code: CloseCode.no_protocol_version, appKey };
  }
  if (!/^\d+$/.test(version)) return { ok: false, code: CloseCode.invalid_version_format, appKey };
  const protocol = Number(version);
  if (protocol < MIN_PROTOCOL || protocol > MAX_PROTOCOL) {
    return { ok: false, code: CloseCode.unsupported_protocol, appKey };
  }
  return { ok: true, appKey, protocol };
}
