/**
 * @module shale/registry — talking to registries: HTTP transport, authentication, the
 * `RegistryClient`, `pullImage` / `pushImage` with their progress events, and the artifacts
 * that refer to a manifest (`listReferrers`, `attachArtifact`).
 */
export * from './transport/index.ts';
export * from './auth/index.ts';
export {
  RegistryError,
  isRegistryError,
  parseErrorBody,
  type RegistryErrorDetail,
  type RequestTarget,
} from './errors.ts';
export { RegistryClient, type RegistryClientOptions, type RegistryRequest } from './client.ts';
export { pullImage, type PullOptions, type PullResult } from './pull/pull.ts';
export { DEFAULT_CHUNK_SIZE, pushImage, type PushOptions, type PushResult } from './push/push.ts';
export { planPush, type PushPlan } from './push/plan.ts';
export * from './transfer/index.ts';
export { pickPlatform } from './pull/resolve.ts';
export { MAX_CONFIG_BYTES, checkConfig, checkManifest } from './pull/limits.ts';
export { RemoteRepository } from './repository.ts';
export { listTags, type ListTagsOptions } from './tags.ts';
export { Refetcher } from './refetch.ts';
export { insecureRegistriesFromEnv, registryOptionsFromEnv } from './env-options.ts';
export type { TransferEvent, LayerStatus, ProgressListener } from './progress.ts';
export { inspectRemoteImage, type RemoteImage, type RemotePlatform } from './distribution.ts';
export {
  listReferrers,
  referrersOf,
  referrersTag,
  type ListReferrersOptions,
  type ReferrerDescriptor,
  type Referrers,
} from './referrers.ts';
export {
  attachArtifact,
  checkArtifact,
  putArtifact,
  referrerDescriptor,
  type Artifact,
  type ArtifactBlob,
  type AttachResult,
  type CheckedArtifact,
} from './push/attach.ts';
