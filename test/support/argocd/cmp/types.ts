// The plugin.yaml, Application and cluster shapes the cmp-server imitation works on (argo-cd's types.go, config.go).

/** One `command` + `args` block of plugin.yaml. */
export interface PluginCommand {
  command: string[];
  args: string[];
}

/** The parts of a ConfigManagementPlugin (plugin.yaml) that the cmp-server acts on. */
export interface PluginConfig {
  name: string;
  version: string;
  init: PluginCommand;
  generate: PluginCommand;
  preserveFileMode: boolean;
  /** `spec.parameters.static` as written; announced to the UI only, never sent back to generate. */
  staticParameters: Record<string, unknown>[];
}

/** One `spec.source.plugin.parameters` entry of an Application. */
export interface PluginParameter {
  name: string;
  string?: string;
  array?: string[];
  map?: Record<string, string>;
}

/** The fields of an Argo CD Application that manifest generation reads. */
export interface Application {
  name: string;
  /** The Application's own namespace; defaults to the Argo CD namespace. */
  namespace?: string;
  project: string;
  /** `spec.destination.namespace`. */
  destinationNamespace?: string;
  source: {
    repoURL: string;
    path: string;
    targetRevision?: string;
    plugin?: {
      name?: string;
      env?: { name: string; value: string }[];
      parameters?: PluginParameter[];
    };
  };
  /** The commit SHA the target revision resolved to. */
  revision: string;
}

/** What the controller knows about the destination cluster (part of the cache key). */
export interface ClusterInfo {
  kubeVersion: string;
  apiVersions: string[];
}
