// The refresher's timers on a manual clock: debounce, minimum interval, rate limit, confirmation of a hard refresh and
// the periodic re-check fire exactly when due, never before, whatever the machine's speed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RefreshScheduler, type RefreshState, type RefreshTimings } from '../../src/refresher/scheduler.js';
import { TokenBucket } from '../../src/refresher/token-bucket.js';
import { ManualClock } from '../support/manual-clock.js';

/** Lets promise callbacks run (timers fired by advance() resolve promises). */
const flush = () => new Promise((r) => setImmediate(r));

const timings: RefreshTimings = { debounceMs: 200, minIntervalMs: 1_000, waitingRefreshMs: 60_000, confirmMs: 5_000, confirmAttempts: 3 };

/** A scheduler whose refreshes are recorded (at clock time) and whose Application answers `state`. */
function scheduler(clock: ManualClock, options: Partial<RefreshTimings> = {}, bucket = new TokenBucket(100, 100, clock)) {
  const refreshes: Array<{ app: string; at: number; reasons: string[] }> = [];
  const answers: { state: RefreshState } = { state: 'pending' };
  const s = new RefreshScheduler({
    ...timings,
    ...options,
    bucket,
    clock,
    log: () => {},
    refresh: async (app, reasons, at) => {
      refreshes.push({ app, at, reasons });
      return true;
    },
    state: async () => answers.state,
  });
  return { s, refreshes, answers };
}

test('the rate limit hands out its burst at once, then one token per interval, none early', async () => {
  const clock = new ManualClock();
  const bucket = new TokenBucket(5, 1, clock);
  const taken: number[] = [];
  for (let i = 0; i < 3; i++) void bucket.take().then(() => taken.push(clock.now()));
  await flush();
  assert.equal(taken.length, 1);
  clock.advance(199);
  await flush();
  assert.equal(taken.length, 1, 'no token before 200 ms at 5/s');
  clock.advance(1);
  await flush();
  clock.advance(200);
  await flush();
  assert.deepEqual(
    taken.map((t) => t - taken[0]!),
    [0, 200, 400],
  );
  bucket.stop();
});

test('changes within the debounce make one refresh at its end; the next waits for the minimum interval', async () => {
  const clock = new ManualClock();
  const start = clock.now();
  const { s, refreshes } = scheduler(clock);
  s.changed('busy', 'Job default/a changed');
  clock.advance(50);
  s.changed('busy', 'Job default/b changed');
  clock.advance(149);
  await flush();
  assert.equal(refreshes.length, 0, 'nothing before the debounce ends');
  clock.advance(1);
  await s.settled();
  assert.deepEqual(refreshes, [{ app: 'busy', at: start + 200, reasons: ['Job default/a changed', 'Job default/b changed'] }]);
  clock.advance(100);
  s.changed('busy', 'Job default/a changed');
  assert.equal(s.nextRefreshAt('busy'), start + 200 + 1_000, 'the second refresh is planned at the minimum interval');
  clock.advance(899);
  await flush();
  assert.equal(refreshes.length, 1);
  clock.advance(1);
  await s.settled();
  assert.equal(refreshes[1]?.at, start + 1_200);
  s.stop();
});

test('a refresh Argo CD dropped is asked for again after the confirmation wait; a generate started after it ends the checks', async () => {
  const clock = new ManualClock();
  const { s, refreshes, answers } = scheduler(clock);
  s.changed('app', 'Secret team-a/db was created');
  clock.advance(200);
  await s.settled();
  const first = refreshes[0]!.at;
  assert.equal(s.unansweredSince('app'), first);
  answers.state = 'dropped'; // the annotation is gone and no generate started after the request
  clock.advance(5_000);
  await s.settled();
  assert.equal(refreshes.length, 2, 'asked again');
  assert.deepEqual(refreshes[1]!.reasons, ['Secret team-a/db was created']);
  s.ran('app', first + 1, true); // a generate that started after the first request, but before the second
  assert.equal(s.unansweredSince('app'), refreshes[1]!.at, 'only a generate after the latest request answers it');
  s.ran('app', refreshes[1]!.at, true);
  assert.equal(s.unansweredSince('app'), undefined);
  assert.deepEqual(clock.pending, [], 'no check, no periodic re-check left for an app that is not waiting');
  s.stop();
});

test('a request Argo CD still holds is checked at doubling waits, then left to one last-resort re-check', async () => {
  const clock = new ManualClock();
  const { s, refreshes, answers } = scheduler(clock);
  s.changed('slow', 'Job default/x changed');
  clock.advance(200);
  await s.settled();
  const requested = clock.now();
  answers.state = 'pending';
  clock.advance(5_000); // check 1: still annotated
  await s.settled();
  assert.deepEqual(clock.pending, [requested + 5_000 + 10_000], 'the next check waits twice as long');
  clock.advance(10_000); // check 2
  await s.settled();
  clock.advance(20_000); // check 3 of 3: give up
  await s.settled();
  assert.equal(refreshes.length, 1, 'a request Argo CD still holds is not repeated');
  assert.equal(s.unansweredSince('slow'), undefined);
  assert.equal(s.nextRefreshAt('slow'), clock.now() + 60_000, 'the periodic re-check is the last resort');
  clock.advance(60_000);
  await s.settled();
  assert.equal(refreshes.length, 2);
  assert.match(refreshes[1]!.reasons[0]!, /never followed by a generate/);
  s.stop();
});

test('a run that started before a change keeps the change planned; one that started after it cancels it', async () => {
  const clock = new ManualClock();
  const { s } = scheduler(clock);
  const before = clock.now();
  clock.advance(10);
  s.changed('app', 'Job default/a changed');
  s.ran('app', before, true);
  assert.ok(s.nextRefreshAt('app'), 'a run that began before the change did not see it');
  s.ran('app', clock.now(), false);
  assert.ok(s.nextRefreshAt('app'), 'a run that failed acted on no change');
  s.ran('app', clock.now(), true);
  assert.equal(s.nextRefreshAt('app'), undefined);
  s.stop();
});

test('a change whose generate failed is asked for again at doubling waits, not at the periodic re-check; a good run ends the retries', async () => {
  const clock = new ManualClock();
  const { s, refreshes } = scheduler(clock);
  s.changed('app', 'Job default/one changed');
  clock.advance(200);
  await s.settled();
  assert.equal(refreshes.length, 1);
  s.ran('app', clock.now(), false); // the API server answered 500 to the flight's lookup
  assert.equal(s.nextRefreshAt('app'), clock.now() + 1_000, 'asked again after the minimum interval');
  clock.advance(999);
  await s.settled();
  assert.equal(refreshes.length, 1, 'not before it is due');
  clock.advance(1);
  await s.settled();
  assert.equal(refreshes.length, 2);
  assert.deepEqual(refreshes[1]!.reasons, ['Job default/one changed'], 'the same change, named again');
  s.ran('app', clock.now(), false);
  assert.equal(s.nextRefreshAt('app'), clock.now() + 2_000, 'the second failure in a row waits twice as long');
  clock.advance(2_000);
  await s.settled();
  assert.equal(refreshes.length, 3);
  s.ran('app', clock.now(), true); // the API server recovered
  assert.equal(s.nextRefreshAt('app'), undefined, 'nothing left planned');
  assert.deepEqual(clock.pending, []);
  s.stop();
});

test('the periodic re-check of a failing app is not retried faster when its generate fails again', async () => {
  const clock = new ManualClock();
  const { s, refreshes } = scheduler(clock);
  s.waiting('broken', true);
  clock.advance(60_000);
  await s.settled();
  assert.equal(refreshes.length, 1);
  s.ran('broken', clock.now(), false);
  assert.equal(s.nextRefreshAt('broken'), clock.now() + 60_000, 'the next attempt is the next re-check');
  s.stop();
});
