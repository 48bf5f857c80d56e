// Argo CD's cluster Secrets read as Argo CD v3.5.1 reads them (util/settings/cluster_informer.go secretToCluster,
// pkg/apis/application/v1alpha1/types.go ClusterConfig), with the config checked the way client-go would check it.

import type { KubeObject } from '../types.js';
import { DestinationError } from './errors.js';

/** Argo CD's well-known in-cluster address and name (application_defaults.go). */
export const inClusterServer = 'https://kubernetes.default.svc';
export const inClusterName = 'in-cluster';

/** The label that makes a Secret in the Argo CD namespace a cluster registration. */
export const clusterSecretLabel = 'argocd.argoproj.io/secret-type';
export const clusterSecretLabelValue = 'cluster';

/** An exec credential plugin (ExecProviderConfig), handed to client-node's exec authenticator. */
export interface ExecProvider {
  command: string;
  args: string[];
  env: Record<string, string>;
  apiVersion: string;
  provideClusterInfo: boolean;
  /** ExecProviderConfig.config: cluster data passed to the plugin in KUBERNETES_EXEC_INFO. */
  config?: unknown;
}

/** The credentials in a cluster Secret's `config`, validated; base64 fields stay base64 (kubeconfig's `*-data` form). */
export interface ClusterCredentials {
  bearerToken?: string;
  username?: string;
  password?: string;
  insecure: boolean;
  serverName?: string;
  caData?: string;
  certData?: string;
  keyData?: string;
  exec?: ExecProvider;
}

/** One cluster Argo CD knows, from its Secret. */
export interface ArgoCluster {
  /** `data.name`; Argo CD does not default it when reading. */
  name: string;
  /** `data.server` without trailing slashes. */
  server: string;
  /** `data.project`: the AppProject this cluster is scoped to, or ''. */
  project: string;
  /** The Secret it came from (`namespace/name`), for messages. */
  secret: string;
  /** The raw `config` JSON text; parsed only for the cluster an Application resolves to. */
  rawConfig: string;
}

/** Decodes one `data` field; a Secret read from the API always has base64 values. */
function field(secret: KubeObject, key: string): string {
  const data = (secret['data'] ?? {}) as Record<string, unknown>;
  const value = data[key];
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : '';
}

/** `namespace/name` of an object, for messages. */
export function objectName(object: KubeObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

/** The cluster a Secret registers: server, name and project as plain text, config kept raw until it is needed. */
export function clusterFromSecret(secret: KubeObject): ArgoCluster {
  return {
    name: field(secret, 'name'),
    server: field(secret, 'server').replace(/\/+$/, ''),
    project: field(secret, 'project'),
    secret: objectName(secret),
    rawConfig: field(secret, 'config'),
  };
}

/** How a cluster is named in every message: `"name" (server)`, or the server alone when the name is empty. */
export function clusterLabel(cluster: Pick<ArgoCluster, 'name' | 'server'>): string {
  return cluster.name !== '' && cluster.name !== cluster.server ? `cluster "${cluster.name}" (${cluster.server})` : `cluster ${cluster.server}`;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads the typed fields of a JSON object the way Go's encoding/json would accept them, or says which one is wrong. */
class Fields {
  constructor(
    private readonly object: Json,
    private readonly path: string,
    private readonly fail: (why: string) => DestinationError,
  ) {}

  string(key: string): string | undefined {
    const v = this.object[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw this.fail(`${this.path}${key} must be a string`);
    return v === '' ? undefined : v;
  }

  bool(key: string): boolean {
    const v = this.object[key];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') throw this.fail(`${this.path}${key} must be true or false`);
    return v;
  }

  /** A Go []byte field: standard base64 in JSON. */
  bytes(key: string): string | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) throw this.fail(`${this.path}${key} is not base64 (it holds PEM bytes, base64-encoded)`);
    return v;
  }

  object_(key: string): Fields | undefined {
    const v = this.object[key];
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) throw this.fail(`${this.path}${key} must be an object`);
    return new Fields(v, `${this.path}${key}.`, this.fail);
  }

  strings(key: string): string[] {
    const v = this.object[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw this.fail(`${this.path}${key} must be a list of strings`);
    return v as string[];
  }

  stringMap(key: string): Record<string, string> {
    const v = this.object[key];
    if (v === undefined || v === null) return {};
    if (!isObject(v) || Object.values(v).some((s) => typeof s !== 'string')) throw this.fail(`${this.path}${key} must be a map of strings`);
    return v as Record<string, string>;
  }

  raw(key: string): unknown {
    return this.object[key] ?? undefined;
  }
}

/** The exec API versions client-go accepts (v1alpha1 was removed in Kubernetes 1.24). */
const execApiVersions = new Set(['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1']);

/** Argo CD's own credential helper: its `gcp` and `azure` modes are workload identity, which jetway's image does not carry. */
const argoAuthHelper: Record<string, string> = {
  gcp: 'GKE workload identity (argocd-k8s-auth gcp)',
  azure: 'Azure workload identity (argocd-k8s-auth azure)',
  aws: 'AWS IAM (argocd-k8s-auth aws)',
};

/**
 * Parses and checks a cluster's `config`, in RawRestConfig's precedence (awsAuthConfig, then execProviderConfig, then
 * basic/bearer), refusing what client-go would refuse and the auth kinds jetway cannot run. `where` prefixes every message.
 */
export function parseClusterConfig(cluster: ArgoCluster, where: string): ClusterCredentials {
  const label = clusterLabel(cluster);
  const malformed = (why: string) => new DestinationError(`${where}: ${label} has a malformed config in Secret ${cluster.secret}: ${why}`);
  const unsupported = (kind: string) =>
    new DestinationError(`${where}: ${label} uses ${kind}, which jetway does not support; give the cluster Secret a bearerToken, a client certificate or an execProviderConfig`);
  let parsed: unknown = {};
  if (cluster.rawConfig.trim() !== '') {
    try {
      parsed = JSON.parse(cluster.rawConfig);
    } catch (error) {
      throw malformed(`not JSON (${(error as Error).message})`);
    }
  }
  if (!isObject(parsed)) throw malformed('must be a JSON object');
  const config = new Fields(parsed, '', malformed);
  const tls = config.object_('tlsClientConfig');
  const credentials: ClusterCredentials = { insecure: tls?.bool('insecure') ?? false };
  const serverName = tls?.string('serverName');
  const caData = tls?.bytes('caData');
  const certData = tls?.bytes('certData');
  const keyData = tls?.bytes('keyData');
  if (serverName) credentials.serverName = serverName;
  if (caData) credentials.caData = caData;
  if (certData) credentials.certData = certData;
  if (keyData) credentials.keyData = keyData;
  // client-go's TLS and auth checks (transport.TLSConfigFor, rest.HTTPWrappersForConfig).
  if (caData && credentials.insecure) throw malformed('tlsClientConfig.insecure is true and caData is set; client-go refuses a CA with the insecure flag');
  if (Boolean(certData) !== Boolean(keyData)) throw malformed('tlsClientConfig needs both certData and keyData for a client certificate');
  if (config.object_('awsAuthConfig')) throw unsupported('awsAuthConfig (AWS IAM authentication)');
  if (config.string('proxyUrl')) throw unsupported('proxyUrl (a proxy to the API server)');
  const exec = config.object_('execProviderConfig');
  if (exec) {
    const command = exec.string('command');
    if (!command) throw malformed('execProviderConfig.command is empty');
    const args = exec.strings('args');
    if (command.split('/').pop() === 'argocd-k8s-auth') throw unsupported(argoAuthHelper[args[0] ?? ''] ?? 'argocd-k8s-auth');
    const apiVersion = exec.string('apiVersion') ?? '';
    if (!execApiVersions.has(apiVersion)) throw malformed(`execProviderConfig.apiVersion ${JSON.stringify(apiVersion)} is not one of ${[...execApiVersions].join(', ')}`);
    const provider: ExecProvider = { command, args, env: exec.stringMap('env'), apiVersion, provideClusterInfo: exec.bool('provideClusterInfo') };
    const execConfig = exec.raw('config');
    if (execConfig !== undefined) provider.config = execConfig;
    credentials.exec = provider;
    return credentials;
  }
  const bearerToken = config.string('bearerToken');
  const username = config.string('username');
  const password = config.string('password');
  if (bearerToken && (username || password)) throw malformed('username/password and bearerToken are both set; client-go allows one or the other');
  if (bearerToken) credentials.bearerToken = bearerToken;
  if (username) credentials.username = username;
  if (password) credentials.password = password;
  return credentials;
}
