// The leader's view of every replica's run records: list the RunRecords, then follow them with a watch (re-list on 410).

import { Backoff, type BackoffOptions } from '../cluster/backoff.js';
import { failureFor, type KubeHttp } from '../cluster/http.js';
import type { Clock } from './clock.js';
import type { Log } from './log.js';
import { recordOf, runRecordsPath } from './record-store.js';
import type { RunRecord } from './records.js';
import { watchEvents } from './watch-stream.js';

export interface RecordFeedOptions {
  http: KubeHttp;
  clock: Clock;
  log: Log;
  backoff: BackoffOptions;
  /** A record: `replayed` when it was stored before this feed started following (loaded by a list), so no one is told twice. */
  onRecord(record: RunRecord, replayed: boolean): void;
  /** The RunRecord of `app` was deleted (its Application was). */
  onDeleted(app: string): void;
}

interface RecordList {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: Array<{ metadata?: { namespace?: string; name?: string }; spec?: unknown }>;
}

/** Follows RunRecords until stopped. */
export class RecordFeed {
  private readonly abort = new AbortController();
  private resourceVersion: string | undefined;
  private loop: Promise<void> | undefined;
  private firstList = true;

  constructor(private readonly o: RecordFeedOptions) {}

  /** Lists (every stored record is replayed) and starts following; resolves once the first list is in. */
  async start(): Promise<void> {
    await this.list();
    this.loop = this.follow();
  }

  /** Stops at once (no record is delivered after this is called); resolves when the watch has ended. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  // Why: one list gives every stored record and the resourceVersion the watch starts from.
  private async list(): Promise<void> {
    let next: string | undefined;
    const found: RunRecord[] = [];
    do {
      const page = await this.o.http.getJson<RecordList>(`${runRecordsPath}?limit=500${next ? `&continue=${encodeURIComponent(next)}` : ''}`);
      for (const item of page.items ?? []) this.take(item, (record) => found.push(record));
      this.resourceVersion = page.metadata?.resourceVersion;
      next = page.metadata?.continue || undefined;
    } while (next);
    if (this.abort.signal.aborted) return;
    const replayed = this.firstList;
    this.firstList = false;
    for (const record of found) this.o.onRecord(record, replayed);
  }

  // Why: a stored object that is not a valid record is reported, never acted on.
  private take(item: { metadata?: { namespace?: string; name?: string }; spec?: unknown }, use: (record: RunRecord) => void): void {
    const record = recordOf(item);
    if (typeof record === 'string') this.o.log('warn', `ignored RunRecord ${item.metadata?.namespace}/${item.metadata?.name}: ${record}`);
    else use(record);
  }

  // Why: watch from the list's resourceVersion; a 410 means events were lost, so list again; errors back off.
  private async follow(): Promise<void> {
    const backoff = new Backoff(this.o.backoff);
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const query = `?watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(this.resourceVersion ?? '')}&timeoutSeconds=${300 + Math.floor(Math.random() * 300)}`;
        const body = await this.o.http.stream(runRecordsPath + query, 'application/json');
        const close = () => body.destroy();
        signal.addEventListener('abort', close, { once: true });
        try {
          if (body.statusCode === 410) throw new Gone();
          if (body.statusCode !== 200) throw failureFor('GET', runRecordsPath, body.statusCode ?? 0, '');
          for await (const event of watchEvents(body, 'RunRecords')) {
            if (signal.aborted) return;
            if (event.type === 'ERROR') throw event.object.code === 410 ? new Gone() : new Error(event.object.message ?? 'watch error');
            if (event.object.metadata?.resourceVersion) this.resourceVersion = event.object.metadata.resourceVersion;
            if (event.type === 'BOOKMARK') continue;
            const item = event.object as { metadata?: { namespace?: string; name?: string }; spec?: unknown };
            if (event.type === 'DELETED') this.take(item, (record) => this.o.onDeleted(record.app));
            else this.take(item, (record) => this.o.onRecord(record, false));
          }
          backoff.reset();
          continue;
        } finally {
          signal.removeEventListener('abort', close);
          body.destroy();
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof Gone) {
          await this.list().catch((e: unknown) => this.o.log('warn', `cannot list RunRecords: ${(e as Error).message}`));
          continue;
        }
        this.o.log('warn', `watch of RunRecords failed: ${(error as Error).message}`);
      }
      await this.o.clock.sleep(backoff.next(), signal);
    }
  }
}

/** The server no longer has the resourceVersion to resume from. */
class Gone extends Error {}
