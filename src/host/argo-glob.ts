// Argo CD's glob matching (util/glob, github.com/gobwas/glob compiled without separators), for AppProject destinations.
// Hand-written because the npm glob libraries (minimatch, picomatch) are path globs: their `*` stops at `/`, which would
// break `https://*.example.com` patterns, and they add extglobs gobwas does not have.

/** Which glob: gobwas (`[!a-z]` negates, `{a,b}` alternatives) or Go's filepath.Match (`[^a-z]` negates, no alternatives). */
type Dialect = 'gobwas' | 'filepath';

/**
 * gobwas syntax: `*` and `**` any text, `?` one character, `[a-z]` / `[!a-z]` classes, `{a,b}` alternatives, `\` escapes.
 * filepath.Match, for the names, kinds and groups it is used on (no `/`): the same with `[^a-z]` and no alternatives.
 */
function compile(pattern: string, dialect: Dialect): RegExp | undefined {
  let i = 0;
  const escape = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

  // One sequence, up to `stop` characters (`,` and `}` inside alternatives); undefined when the pattern is invalid.
  function sequence(stop: string): string | undefined {
    let out = '';
    while (i < pattern.length && !stop.includes(pattern[i]!)) {
      const c = pattern[i++]!;
      if (c === '*') {
        while (pattern[i] === '*') i++;
        out += '[^]*';
      } else if (c === '?') out += '[^]';
      else if (c === '\\') {
        if (i >= pattern.length) return undefined;
        out += escape(pattern[i++]!);
      } else if (c === '[') {
        const close = pattern.indexOf(']', i);
        if (close === -1) return undefined;
        let body = pattern.slice(i, close);
        i = close + 1;
        const negated = body.startsWith(dialect === 'gobwas' ? '!' : '^');
        if (negated) body = body.slice(1);
        if (body === '') return undefined;
        let set = '';
        for (let j = 0; j < body.length; j++) {
          if (body[j + 1] === '-' && j + 2 < body.length) {
            if (body[j]! > body[j + 2]!) return undefined;
            set += `${escape(body[j]!)}-${escape(body[j + 2]!)}`;
            j += 2;
          } else set += escape(body[j]!);
        }
        out += `[${negated ? '^' : ''}${set}]`;
      } else if (c === '{' && dialect === 'gobwas') {
        const alternatives: string[] = [];
        for (;;) {
          const alt = sequence(',}');
          if (alt === undefined || i >= pattern.length) return undefined;
          alternatives.push(alt);
          if (pattern[i++] === '}') break;
        }
        out += `(?:${alternatives.join('|')})`;
      } else out += escape(c);
    }
    return out;
  }

  const source = sequence('');
  return source === undefined ? undefined : new RegExp(`^${source}$`);
}

const compiled = new Map<string, RegExp | undefined>();

// Compiled patterns are kept (bounded, like Argo CD's LRU) because every lookup checks the same few project patterns.
function matcher(pattern: string, dialect: Dialect): RegExp | undefined {
  const key = `${dialect}\u0000${pattern}`;
  if (!compiled.has(key)) {
    if (compiled.size >= 10_000) compiled.clear();
    compiled.set(key, compile(pattern, dialect));
  }
  return compiled.get(key);
}

/** glob.Match: an invalid pattern matches nothing (Argo CD logs it and answers false). */
export function globMatch(pattern: string, value: string): boolean {
  return matcher(pattern, 'gobwas')?.test(value) ?? false;
}

/** Go's filepath.Match on a group, kind or name (cluster resource allow and deny lists); invalid patterns match nothing. */
export function filepathMatch(pattern: string, value: string): boolean {
  return matcher(pattern, 'filepath')?.test(value) ?? false;
}

/** A deny pattern: `!` negates (app_project_types.go isDenyPattern). */
export function isDenyPattern(pattern: string): boolean {
  return pattern.startsWith('!');
}

/** app_project_types.go globMatch with negation allowed: `!p` matches what `p` does not; `*` matches everything. */
export function projectGlobMatch(pattern: string, value: string): boolean {
  if (isDenyPattern(pattern)) return !globMatch(pattern.slice(1), value);
  return pattern === '*' || globMatch(pattern, value);
}
