// Downloads a module from an http(s) URL, as yoke's LoadWasmFromURL does, with errors that name the URL and status.

import { moduleTooLarge } from './bounds.js';
import { ModuleError, reason } from './errors.js';
import { fetchFollowing, readBounded } from './fetch-bounded.js';
import { decompress } from './gzip.js';

export interface HttpFetchOptions {
  signal: AbortSignal | undefined;
  /** Bound on the body and on the module once gunzipped. */
  maxBytes: number;
  /** Refuses a redirect target (JETWAY_MODULE_ALLOW applies to every hop, not only the URL as written). */
  checkTarget: (target: URL) => void;
}

/** GETs the URL; gunzips when the body is gzip (fetch may already have undone Content-Encoding) or the path ends in .gz. */
export async function fetchModule(url: string, options: HttpFetchOptions): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetchFollowing(url, { signal: options.signal, checkTarget: options.checkTarget, what: 'the download' });
  } catch (error) {
    // a redirect refused on the way (allow-list, https -> http) keeps its kind; anything else is the network's
    throw new ModuleError(error instanceof ModuleError ? error.kind : 'unreachable', `cannot download module ${url}: ${reason(error)}`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    const status = `${response.status} ${response.statusText}`.trim();
    throw new ModuleError(response.status === 404 || response.status === 410 ? 'not-found' : 'unreachable', `cannot download module ${url}: the server answered ${status} (check the URL)`);
  }
  const tooLarge = moduleTooLarge(url, options.maxBytes, 'is');
  const body = await readBounded(response, options.maxBytes, () => tooLarge).catch((error: unknown) => {
    throw error === tooLarge ? tooLarge : new ModuleError('unreachable', `cannot download module ${url}: ${reason(error)}`, { cause: error });
  });
  return decompress(body, url, new URL(url).pathname.endsWith('.gz'), options.maxBytes);
}
