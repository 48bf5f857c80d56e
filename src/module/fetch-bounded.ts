// Every download of a module source goes through here: redirects followed by hand (each target checked, a bounded
// number, never https -> http, no Authorization to another origin) and bodies read up to a byte bound.
// Why hand-written: fetch's own redirect mode cannot ask whether a target is allowed, and arrayBuffer() has no bound.

import { ModuleError } from './errors.js';

/** Go's http.Client stops after 10 redirects; so does jetway. */
export const maxRedirects = 10;

export interface FollowOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Throws when a redirect target may not be fetched (the allow-list); called before the request. */
  checkTarget?: (target: URL) => void;
  /** Names the download in messages. */
  what: string;
}

/** A URL for messages: scheme, host and path, never the query (it may carry values from Secrets). */
export function shown(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** GETs `url`, following up to maxRedirects redirects by hand; the answer is the first non-redirect response. */
export async function fetchFollowing(url: string, options: FollowOptions): Promise<Response> {
  let current = new URL(url);
  const headers = { ...options.headers };
  for (let hop = 0; ; hop++) {
    const credentials = basicAuth(current);
    if (credentials) [current, headers['authorization']] = credentials;
    const response = await fetch(current, { headers, signal: options.signal, redirect: 'manual' });
    const location = response.headers.get('location');
    if (![301, 302, 303, 307, 308].includes(response.status) || location === null) return response;
    await response.body?.cancel();
    if (hop >= maxRedirects) throw new ModuleError('refused', `${options.what} was redirected more than ${maxRedirects} times (last to ${shown(current)}): fix the server's redirects`);
    const next = new URL(location, current);
    if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new ModuleError('refused', `${options.what} was redirected to a ${next.protocol} URL, which jetway does not follow`);
    if (current.protocol === 'https:' && next.protocol === 'http:') {
      throw new ModuleError('refused', `${options.what} was redirected from https to plain http (${shown(next)}); jetway does not downgrade a download: fix the server's redirect`);
    }
    options.checkTarget?.(next);
    if (next.origin !== current.origin) delete headers['authorization'];
    current = next;
  }
}

/**
 * A URL's userinfo as the Basic credentials Go's http.Client sends for it (yoke downloads with Go; fetch refuses such
 * a URL and quotes it, token included, in its error), and the URL without them.
 */
function basicAuth(url: URL): [URL, string] | undefined {
  if (url.username === '' && url.password === '') return undefined;
  const bare = new URL(url);
  bare.username = '';
  bare.password = '';
  const pair = `${decodedComponent(url.username)}:${decodedComponent(url.password)}`;
  return [bare, `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`];
}

/** A percent-encoded URL component decoded, or as written when it is not valid percent-encoding. */
export function decodedComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The body, read chunk by chunk and abandoned as soon as it passes `limit` bytes (fetch has already undone Content-Encoding). */
export async function readBounded(response: Response, limit: number, tooLarge: () => Error): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limit && response.headers.get('content-encoding') === null) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
