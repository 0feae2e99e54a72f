/**
 * The credential source backed by Docker's config: for a host, its credential helper
 * (`credHelpers[host]`, else `credsStore`) is asked first, then the `auths` entry. The file is
 * read once per source and each host is looked up once, so a long pull asks a helper only once.
 */
import { helperGet } from './credential-helper.ts';
import type { Credential, CredentialSource } from './credentials.ts';
import {
  configKey,
  credentialFromEntry,
  authKeysFor,
  helperFor,
  readDockerConfig,
  type DockerConfig,
  type DockerConfigLocation,
} from './docker-config.ts';

/** Credentials from `config.json` and the helpers it names. */
export function dockerConfigCredentials(location: DockerConfigLocation = {}): CredentialSource {
  let config: Promise<DockerConfig> | undefined;
  const byHost = new Map<string, Promise<Credential | undefined>>();
  return {
    get(host, signal) {
      let found = byHost.get(host);
      if (found === undefined) {
        config ??= readDockerConfig(location);
        found = config.then((c) => lookUp(c, host, signal));
        byHost.set(host, found);
        void found.catch(() => byHost.delete(host));
      }
      return found;
    },
  };
}

/** A host's credential in one config: helper first, then the `auths` entry. */
export async function lookUp(
  config: DockerConfig,
  host: string,
  signal?: AbortSignal,
): Promise<Credential | undefined> {
  const helper = helperFor(config, host);
  if (helper !== undefined) {
    const fromHelper = await helperGet(helper, configKey(host), signal);
    if (fromHelper !== undefined) return fromHelper;
  }
  const key = authKeysFor(config.auths, host)[0];
  if (key === undefined) return undefined;
  return credentialFromEntry(config.auths[key]!, config.file, key);
}
