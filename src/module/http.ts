// Downloads a module from an http(s) URL, as yoke's LoadWasmFromURL does, with errors that name the URL and status.

import { reason } from './errors.js';
import { decompress } from './gzip.js';

/** GETs the URL; gunzips when the body is gzip (fetch may already have undone Content-Encoding) or the path ends in .gz. */
export async function fetchModule(url: string, signal: AbortSignal | undefined): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    throw new Error(`cannot download module ${url}: ${reason(error)}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    const status = `${response.status} ${response.statusText}`.trim();
    throw new Error(`cannot download module ${url}: the server answered ${status} (check the URL)`);
  }
  const body = new Uint8Array(await response.arrayBuffer());
  return decompress(body, url, new URL(url).pathname.endsWith('.gz'));
}
