// Values read from Secrets (refs) must never leave the process: every line written to stderr or sent to the service passes here.

import { domainToASCII } from 'node:url';
import { decodedComponent } from '../module/fetch-bounded.js';

/** The forms a value can take once it sits in a URL and comes back in an error (normalized host, percent-encoding, JSON quoting). */
function forms(value: string): string[] {
  // a URL object serializes a path or query by WHATWG's rules, which encode more than encodeURI (`'` in a query, for one)
  const serialized = [new URL(`https://h/${value}`).pathname.slice(1), new URL(`https://h/?${value}`).search.slice(1)];
  const whole = [value, encodeURIComponent(value), encodeURI(value), ...serialized, domainToASCII(value), JSON.stringify(value).slice(1, -1)];
  // a DNS or TLS error names only the host part of a value that spans host and path, so each piece counts too
  const pieces = value.split(/[/?#@:&=\s]+/).filter((piece) => piece.length >= 3);
  return [...whole, ...whole.map((s) => s.toLowerCase()), ...pieces, ...pieces.map((s) => s.toLowerCase())].filter((s) => s !== '');
}

/** The Secret values of one generate, replaced by their `{{ .name }}` placeholder wherever text leaves the process. */
export class Redactions {
  private readonly replacements: Array<[string, string]> = [];

  /** Registers a value read for ref `name`. */
  add(name: string, value: string): void {
    for (const form of forms(value)) this.replacements.push([form, `{{ .${name} }}`]);
    this.replacements.sort((a, b) => b[0].length - a[0].length);
  }

  /** Registers the credentials in a module URL's userinfo (a token written into the wasm parameter), shown as `***`. */
  addUserinfo(url: string): void {
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    // the user name alone is often the token (https://TOKEN@host); beside a password it is only a name
    const secret = parsed?.password || parsed?.username;
    // a userinfo filled from refs is redacted as those refs
    if (!secret || secret.includes('%7B%7B')) return;
    for (const form of [...forms(decodedComponent(secret)), ...forms(secret)]) this.replacements.push([form, '***']);
    this.replacements.sort((a, b) => b[0].length - a[0].length);
  }

  /** `text` with every known value (in any of its forms) replaced. */
  apply(text: string): string {
    let out = text;
    for (const [form, placeholder] of this.replacements) out = out.split(form).join(placeholder);
    return out;
  }
}
