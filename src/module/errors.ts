// Turns any thrown value into one line of text, so module errors stay one clear line even when fetch nests causes.

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
