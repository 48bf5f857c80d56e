// The two go.mod / go.work directives a build's inputs depend on: local `replace` targets and go.work `use` folders.
// Why hand-written: no npm library parses go.mod, and `go mod edit -json` would run the toolchain on every generate.

export interface GoModDirectives {
  /** `replace M [v] => ./path` whose target is a folder (starts with ./, ../ or /), not a module version. */
  localReplacements: Array<{ module: string; path: string }>;
  /** go.work `use` folders. */
  uses: string[];
}

/** Reads `replace` and `use` lines, single or in a ( ... ) block, ignoring // comments; quoted paths are unquoted. */
export function readGoModDirectives(text: string): GoModDirectives {
  const out: GoModDirectives = { localReplacements: [], uses: [] };
  let block: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (line === '') continue;
    if (block !== undefined) {
      if (line === ')') block = undefined;
      else directive(block, line, out);
      continue;
    }
    const open = /^(\w+)\s*\($/.exec(line);
    if (open) {
      block = open[1]!;
      continue;
    }
    const single = /^(\w+)\s+(.*)$/.exec(line);
    if (single) directive(single[1]!, single[2]!, out);
  }
  return out;
}

/** One directive's arguments. */
function directive(verb: string, args: string, out: GoModDirectives): void {
  if (verb === 'use') {
    out.uses.push(unquote(args.trim()));
    return;
  }
  if (verb !== 'replace') return;
  const arrow = args.indexOf('=>');
  if (arrow < 0) return;
  const module = unquote(args.slice(0, arrow).trim().split(/\s+/)[0] ?? '');
  const target = unquote(
    args
      .slice(arrow + 2)
      .trim()
      .split(/\s+/)[0] ?? '',
  );
  if (/^(\.\.?(\/|$)|\/)/.test(target)) out.localReplacements.push({ module, path: target });
}

/** go.mod allows "quoted" and `raw` strings. */
function unquote(value: string): string {
  if (value.startsWith('"') && value.endsWith('"')) {
    try {
      return JSON.parse(value) as string;
    } catch {
      return value.slice(1, -1);
    }
  }
  return value.startsWith('`') && value.endsWith('`') ? value.slice(1, -1) : value;
}
