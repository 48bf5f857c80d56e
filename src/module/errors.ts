// Module failures: a typed error where a caller decides on the kind (retry, fall back, tell the author), and any thrown
// value turned into one line of text, so module errors stay one clear line even when fetch nests causes.

/**
 * What went wrong getting a module, for callers that decide on it: `unreachable` (the network or the server; worth a
 * retry), `not-found` (the file, URL or tag names nothing), `unauthorized` (the registry wants credentials jetway does
 * not have, or refuses them: fix docker's config.json), `refused` (a check refused it: the allow-list, a checksum or
 * pinned digest that does not match, a missing or bad signature or JETWAY_VERIFY_KEYS that cannot check one, a path or
 * redirect leading where jetway does not go, `build: true` where the admin forbids it), `too-large` (a JETWAY_MAX_*
 * bound, or more memory than maxMemoryMib), `invalid` (the reference or the bytes are not a usable module: bad gzip, not
 * WebAssembly, malformed sections, does not compile, imports jetway does not provide), `build` (`build: true` could not
 * build it: no Go toolchain, no go.mod, go build failed), `cache` (the module cache could not keep it: an unwritable or
 * full JETWAY_CACHE_DIR, or a module larger than the whole cache; the loader warns and goes on without the cache).
 */
export type ModuleFailure = 'unreachable' | 'not-found' | 'unauthorized' | 'refused' | 'too-large' | 'invalid' | 'build' | 'cache';

/** A module that could not be had; `message` is the one line users read, `cause` the underlying error. */
export class ModuleError extends Error {
  override readonly name = 'ModuleError';

  constructor(
    readonly kind: ModuleFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The message of an error and its causes, joined on one line (fetch hides the real reason in `cause`). */
export function reason(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    const text = current instanceof Error ? current.message : typeof current === 'string' ? current : JSON.stringify(current);
    if (text && !parts.includes(text)) parts.push(text);
    current = current instanceof Error ? current.cause : undefined;
  }
  return oneLine(parts.join(': ') || 'unknown error');
}

/** Collapses whitespace and newlines, so text from servers cannot break an error into several lines. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
