// The cmp-server imitation's old home: its parts now live in test/support/argocd/cmp/; this re-export keeps importers unchanged.
export * from './argocd/cmp/types.js';
export * from './argocd/cmp/plugin-config.js';
export * from './argocd/cmp/request-env.js';
export * from './argocd/cmp/manifests.js';
export * from './argocd/cmp/sidecar.js';
export * from './argocd/cmp/repo-server.js';
