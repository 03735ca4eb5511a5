import type {
  InfrastructureProvider,
  JobTypeProvider,
  SchedulerProvider,
  StorageProvider,
} from '../../plugin-sdk/providers.js';
import { Registry } from './registry.js';

/** The kinds of provider, as errors and call points name them. */
export type ProviderKind = 'scheduler' | 'job type' | 'infrastructure target' | 'storage backend';

/** The kernel's registries: providers keyed by name (job types by `name:version`). */
export interface KernelRegistries {
  readonly schedulers: Registry<SchedulerProvider>;
  readonly jobTypes: Registry<JobTypeProvider>;
  readonly targets: Registry<InfrastructureProvider>;
  readonly storage: Registry<StorageProvider>;
}

export function createRegistries(): KernelRegistries {
  return Object.freeze({
    schedulers: new Registry<SchedulerProvider>('scheduler'),
    jobTypes: new Registry<JobTypeProvider>('job type'),
    targets: new Registry<InfrastructureProvider>('infrastructure target'),
    storage: new Registry<StorageProvider>('storage backend'),
  });
}

export function allRegistries(registries: KernelRegistries): Registry<unknown>[] {
  return Object.values(registries) as Registry<unknown>[];
}
