// The refresher's watches and feeds back off with the cluster client's backoff (one implementation, in cluster/).
export { Backoff, type BackoffOptions } from '../cluster/backoff.js';
