// A cluster's credentials as an in-memory client-node KubeConfig, the way Argo CD's Cluster.RawRestConfig builds a rest.Config:
// client-node then does the TLS, bearer, basic and exec authentication; nothing here speaks an auth protocol.

import { KubeConfig, type Cluster as KubeConfigCluster, type User } from '@kubernetes/client-node';
import type { ArgoCluster, ClusterCredentials, ExecProvider } from './argo-cluster.js';

/**
 * client-go hands every exec plugin KUBERNETES_EXEC_INFO (spec.interactive false, plus the cluster when provideClusterInfo);
 * client-node does not, so it is passed as one of the plugin's environment variables.
 */
function execInfo(exec: ExecProvider, cluster: KubeConfigCluster): string {
  const spec: Record<string, unknown> = { interactive: false };
  if (exec.provideClusterInfo) {
    spec['cluster'] = {
      server: cluster.server,
      ...(cluster.tlsServerName ? { 'tls-server-name': cluster.tlsServerName } : {}),
      ...(cluster.skipTLSVerify ? { 'insecure-skip-tls-verify': true } : {}),
      ...(cluster.caData ? { 'certificate-authority-data': cluster.caData } : {}),
      ...(exec.config !== undefined ? { config: exec.config } : {}),
    };
  }
  return JSON.stringify({ apiVersion: exec.apiVersion, kind: 'ExecCredential', spec });
}

/**
 * The KubeConfig for a remote cluster. `identity` (the Secret and its content hash) names its cluster and user entries; a
 * new KubeConfig per Secret version also gives client-node's exec authenticator a fresh credential cache.
 */
export function remoteKubeConfig(cluster: ArgoCluster, credentials: ClusterCredentials, identity: string): KubeConfig {
  const kubeCluster: KubeConfigCluster = {
    name: identity,
    server: cluster.server,
    skipTLSVerify: credentials.insecure,
    ...(credentials.caData ? { caData: credentials.caData } : {}),
    ...(credentials.serverName ? { tlsServerName: credentials.serverName } : {}),
  };
  const user: User = {
    name: identity,
    ...(credentials.certData ? { certData: credentials.certData } : {}),
    ...(credentials.keyData ? { keyData: credentials.keyData } : {}),
    ...(credentials.bearerToken ? { token: credentials.bearerToken } : {}),
    ...(credentials.username ? { username: credentials.username } : {}),
    ...(credentials.password ? { password: credentials.password } : {}),
    ...(credentials.exec
      ? {
          exec: {
            apiVersion: credentials.exec.apiVersion,
            command: credentials.exec.command,
            args: credentials.exec.args,
            env: [...Object.entries(credentials.exec.env).map(([name, value]) => ({ name, value })), { name: 'KUBERNETES_EXEC_INFO', value: execInfo(credentials.exec, kubeCluster) }],
            interactiveMode: 'Never',
          },
        }
      : {}),
  };
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(kubeCluster, user);
  return kc;
}

/**
 * The in-cluster KubeConfig, with the Secret's bearer token or basic credentials instead of the service account's when it
 * gives them (RawRestConfig's `kubernetes.default.svc` cases).
 */
export function inClusterKubeConfig(local: KubeConfig, credentials: ClusterCredentials | undefined, identity: string): KubeConfig {
  const override = credentials && (credentials.bearerToken || credentials.username || credentials.password);
  if (!override) return local;
  const cluster = local.getCurrentCluster();
  if (!cluster) throw new Error('the in-cluster configuration has no cluster');
  const user: User = {
    name: identity,
    ...(credentials.bearerToken ? { token: credentials.bearerToken } : {}),
    ...(credentials.username ? { username: credentials.username } : {}),
    ...(credentials.password ? { password: credentials.password } : {}),
  };
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(cluster, user);
  return kc;
}
