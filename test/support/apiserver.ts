// Public entry of the fake Kubernetes API server for tests; see apiserver/server.ts for the full documentation.
export { startApiServer, FakeApiServer } from './apiserver/server.js';
export type { ApiServerOptions, RequestRecord, FaultMatcher, FaultResponse, FaultHandle } from './apiserver/server.js';
export type { PolicyRule } from './apiserver/auth.js';
export { makeCrd, argoApplicationCrd, type CrdSpec, type ResourceType } from './apiserver/discovery.js';
export { tlsMaterial, newTlsMaterial, type TlsMaterial } from './apiserver/certs.js';
