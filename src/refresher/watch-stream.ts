// Splits a watch response into its events: one JSON object per line, and chunks do not align with lines.

import type { Readable } from 'node:stream';

/** The part of a watch event the refresher reads (metadata-only objects, or a Status on ERROR). */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: {
    metadata?: { name?: string; resourceVersion?: string };
    code?: number;
    reason?: string;
    message?: string;
  };
}

/** The events of one watch stream, in order; ends when the server ends the stream. */
export async function* watchEvents(body: Readable, what: string): AsyncGenerator<WatchEvent> {
  body.setEncoding('utf8');
  let buffer = '';
  const parse = (line: string): WatchEvent => {
    try {
      return JSON.parse(line) as WatchEvent;
    } catch {
      throw new Error(`watch of ${what}: the API server sent a line that is not JSON: ${line.slice(0, 120)}`);
    }
  };
  for await (const chunk of body as AsyncIterable<string>) {
    buffer += chunk;
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
      const line = buffer.slice(0, end).trim();
      buffer = buffer.slice(end + 1);
      if (line !== '') yield parse(line);
    }
  }
  if (buffer.trim() !== '') yield parse(buffer.trim());
}
