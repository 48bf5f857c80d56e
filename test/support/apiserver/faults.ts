// Fault injection: which requests fail, hang, reset or wait, and how often.

import type { FaultMatcher, FaultResponse, RequestRecord } from './server.js';

