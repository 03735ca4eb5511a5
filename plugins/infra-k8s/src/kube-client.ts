import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Deployment,
  type V1Job,
  type V1Node,
  type V1Pod,
  type V1Secret,
  type V1Service,
} from '@kubernetes/client-node';
import { isNotFound, statusOf, unlessNotFound } from './kube-errors.js';
import { jobSelector, managedSelector, objectName } from './labels.js';

/** An object kind this target creates, with its body type. */
export interface KindBodies {
  Secret: V1Secret;
  Service: V1Service;
  Deployment: V1Deployment;
  Job: V1Job;
}
export type Kind = keyof KindBodies;

interface KindOps<T> {
  create(body: T): Promise<T>;
  replace(name: string, body: T): Promise<T>;
  read(name: string): Promise<T>;
  list(labelSelector: string): Promise<T[]>;
  delete(name: string): Promise<unknown>;
}

/** The few API calls the target makes, in one namespace. */
export class KubeClient {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly batch: BatchV1Api;
  private readonly ops: { [K in Kind]: KindOps<KindBodies[K]> };

  constructor(
    readonly kubeConfig: KubeConfig,
    readonly namespace: string,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
    const { core, apps, batch } = this;
    const ns = { namespace };
    // Background: the call returns at once and the garbage collector removes the pods after.
    const del = { ...ns, propagationPolicy: 'Background' };
    this.ops = {
      Secret: {
        create: (body) => core.createNamespacedSecret({ ...ns, body }),
        replace: (name, body) => core.replaceNamespacedSecret({ ...ns, name, body }),
        read: (name) => core.readNamespacedSecret({ ...ns, name }),
        list: async (labelSelector) => (await core.listNamespacedSecret({ ...ns, labelSelector })).items,
        delete: (name) => core.deleteNamespacedSecret({ ...del, name }),
      },
      Service: {
        create: (body) => core.createNamespacedService({ ...ns, body }),
        replace: (name, body) => core.replaceNamespacedService({ ...ns, name, body }),
        read: (name) => core.readNamespacedService({ ...ns, name }),
        list: async (labelSelector) => (await core.listNamespacedService({ ...ns, labelSelector })).items,
        delete: (name) => core.deleteNamespacedService({ ...del, name }),
      },
      Deployment: {
        create: (body) => apps.createNamespacedDeployment({ ...ns, body }),
        replace: (name, body) => apps.replaceNamespacedDeployment({ ...ns, name, body }),
        read: (name) => apps.readNamespacedDeployment({ ...ns, name }),
        list: async (labelSelector) => (await apps.listNamespacedDeployment({ ...ns, labelSelector })).items,
        delete: (name) => apps.deleteNamespacedDeployment({ ...del, name }),
      },
      Job: {
        create: (body) => batch.createNamespacedJob({ ...ns, body }),
        replace: (name, body) => batch.replaceNamespacedJob({ ...ns, name, body }),
        read: (name) => batch.readNamespacedJob({ ...ns, name }),
        list: async (labelSelector) => (await batch.listNamespacedJob({ ...ns, labelSelector })).items,
        delete: (name) => batch.deleteNamespacedJob({ ...del, name }),
      },
    };
  }

  /** Read the namespace, creating it when missing: the first call, so an unreachable server shows here. */
  async ensureNamespace(): Promise<'found' | 'created'> {
    try {
      await this.core.readNamespace({ name: this.namespace });
      return 'found';
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    try {
      await this.core.createNamespace({
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace } },
      });
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
    }
    return 'created';
  }

  /** Create the object, or replace the one already there (409) keeping its resourceVersion. */
  async apply<K extends Kind>(kind: K, body: KindBodies[K]): Promise<KindBodies[K]> {
    const ops = this.ops[kind] as KindOps<KindBodies[K]>;
    try {
      return await ops.create(body);
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
    }
    const name = body.metadata!.name!;
    const existing = await ops.read(name);
    return ops.replace(name, {
      ...body,
      metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion },
    });
  }

  read<K extends Kind>(kind: K, jobId: string): Promise<KindBodies[K] | undefined> {
    return unlessNotFound((this.ops[kind] as KindOps<KindBodies[K]>).read(objectName(jobId)));
  }

  /** Every object of `kind` Spindle made here, or those of one job. */
  list<K extends Kind>(kind: K, jobId?: string): Promise<KindBodies[K][]> {
    return (this.ops[kind] as KindOps<KindBodies[K]>).list(jobId === undefined ? managedSelector : jobSelector(jobId));
  }

  /** Delete the job's objects of `kind`, found by its labels (nothing else is touched); gone already is fine. */
  async deleteAll(kind: Kind, jobId: string): Promise<number> {
    const found = await this.list(kind, jobId);
    for (const object of found) await unlessNotFound(this.ops[kind].delete(object.metadata!.name!));
    return found.length;
  }

  /** Delete the job's pods now, with this grace (the garbage collector would give them their own, 30 s by default). */
  async deletePods(jobId: string, gracePeriodSeconds: number): Promise<void> {
    for (const pod of await this.pods(jobId))
      await unlessNotFound(
        this.core.deleteNamespacedPod({ namespace: this.namespace, name: pod.metadata!.name!, gracePeriodSeconds }),
      );
  }

  async pods(jobId: string): Promise<V1Pod[]> {
    return (await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: jobSelector(jobId) })).items;
  }

  podLog(name: string): Promise<string> {
    return this.core.readNamespacedPodLog({ namespace: this.namespace, name });
  }

  async nodes(): Promise<V1Node[]> {
    return (await this.core.listNode()).items;
  }

  /** The latest event messages about the job's objects and pods (best effort: empty on error). */
  async events(jobId: string, count = 5): Promise<string[]> {
    try {
      const prefix = objectName(jobId);
      const items = (await this.core.listNamespacedEvent({ namespace: this.namespace })).items.filter((e) =>
        e.involvedObject.name?.startsWith(prefix),
      );
      const at = (e: (typeof items)[number]) =>
        new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? 0).getTime();
      return items
        .sort((a, b) => at(a) - at(b))
        .slice(-count)
        .map((e) =>
          `${e.involvedObject.kind ?? ''} ${e.involvedObject.name ?? ''}: ${e.reason ?? ''} ${e.message ?? ''}`.trim(),
        );
    } catch {
      return [];
    }
  }
}
