/**
 * The console page's static files: plain HTML, CSS and browser JavaScript, no build step. `tsc`
 * does not copy them, so they are read from the source tree: from dist/src/console/ that is
 * ../../../src/console/assets/ (package.json ships the folder for the same reason). Read once,
 * on first use.
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';

const SOURCE_DIR = new URL('../../../src/console/assets/', import.meta.url);

const TYPES = {
  'index.html': 'text/html; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
} as const;

export type AssetName = keyof typeof TYPES;

export const isAssetName = (name: string): name is AssetName => Object.hasOwn(TYPES, name);

/**
 * Sent with every console response. Everything the page loads comes from this origin and
 * nothing may frame it: no inline script could run even if an event's data were ever rendered
 * as markup (the page only ever sets text).
 */
export const pageHeaders = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
    "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

let files: Map<AssetName, Buffer> | undefined;

function load(): Map<AssetName, Buffer> {
  return new Map(
    (Object.keys(TYPES) as AssetName[]).map((name) => [
      name,
      readFileSync(new URL(name, SOURCE_DIR)),
    ]),
  );
}

/** Answers with one of the page's files (`head`: the headers only). */
export function serveAsset(res: ServerResponse, name: AssetName, head: boolean): void {
  files ??= load();
  const body = files.get(name)!;
  res.writeHead(200, {
    ...pageHeaders,
    'content-type': TYPES[name],
    'content-length': body.length,
  });
  res.end(head ? undefined : body);
}
