// JETWAY_MODULE_ALLOW: admins restrict where modules may come from, with the glob semantics of yoke's Globs.Match (Go path.Match).

import { ModuleError } from './errors.js';

/** True when the list is empty or one glob matches the whole value; a malformed glob matches nothing, as in yoke. */
export function isAllowed(globs: readonly string[], value: string): boolean {
  return globs.length === 0 || globs.some((glob) => globToRegExp(glob)?.test(value) === true);
}

/** Refuses a module whose reference no glob matches. */
export function checkAllowed(globs: readonly string[] | undefined, value: string): void {
  if (!globs || isAllowed(globs, value)) return;
  throw new ModuleError('refused', `module ${value} is not in the allow-list (JETWAY_MODULE_ALLOW): ask an admin to add a glob matching it`);
}

/** Go path.Match as a RegExp: `*` any run of non-`/`, `?` one non-`/`, `[...]`/`[^...]` classes, `\` escapes; undefined when malformed. */
function globToRegExp(glob: string): RegExp | undefined {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\') {
      const next = glob[++i];
      if (next === undefined) return undefined;
      out += escape(next);
    } else if (c === '[') {
      const end = classEnd(glob, i + 1);
      if (end < 0) return undefined;
      out += classToRegExp(glob.slice(i + 1, end));
      i = end;
    } else out += escape(c);
  }
  return new RegExp(`${out}$`);
}

/** Index of the `]` closing a class opened before `from`, or -1 (Go: a class needs at least one range). */
function classEnd(glob: string, from: number): number {
  let i = from;
  if (glob[i] === '^') i++;
  const first = i;
  for (; i < glob.length; i++) {
    if (glob[i] === '\\') i++;
    else if (glob[i] === ']' && i > first) return i;
  }
  return -1;
}

/** A Go class body (`^` negation, `a-z` ranges, `\` escapes) as a RegExp class that never matches `/` when negated. */
function classToRegExp(body: string): string {
  const negated = body.startsWith('^');
  let out = '';
  for (let i = negated ? 1 : 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') out += escape(body[++i] ?? '');
    else if (c === '-') out += '-';
    else out += escape(c);
  }
  return negated ? `[^/${out}]` : `[${out}]`;
}

function escape(c: string): string {
  return /[\\^$.*+?()[\]{}|\-/]/.test(c) ? `\\${c}` : c;
}
