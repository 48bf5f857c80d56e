// Whether generate emits the app's FlightStatus: only when the destination serves the kind, as KUBE_API_VERSIONS says.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { destinationServesFlightStatus } from '../../src/stages/flight-status.js';

test('Argo CD lists kinds: the FlightStatus kind entry is needed, jetway.dev/v1alpha1 alone (RunRecords) is not enough', () => {
  assert.equal(destinationServesFlightStatus(['v1', 'v1/Pod', 'jetway.dev/v1alpha1', 'jetway.dev/v1alpha1/RunRecord']), false);
  assert.equal(destinationServesFlightStatus(['v1', 'v1/Pod', 'jetway.dev/v1alpha1', 'jetway.dev/v1alpha1/FlightStatus']), true);
});

test('a list of group versions only: the group version is all there is to go on', () => {
  assert.equal(destinationServesFlightStatus(['v1', 'apps/v1', 'jetway.dev/v1alpha1']), true);
  assert.equal(destinationServesFlightStatus(['v1', 'apps/v1']), false);
});
