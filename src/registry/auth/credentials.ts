/**
 * Credentials and where they come from. A `CredentialSource` answers "which credentials for this
 * registry host?"; the Docker config file is one source, a fixed map (tests, `login`) another.
 * Secret fields never appear in messages: describe a credential with `credentialLabel`.
 */

export interface Credential {
  readonly username?: string;
  readonly password?: string;
  /** An OAuth2 refresh token (Docker's `identitytoken`), exchanged for access tokens. */
  readonly identityToken?: string;
  /** A bearer token sent as it is (Docker's `registrytoken`). */
  readonly registryToken?: string;
}

export interface CredentialSource {
  /** The credentials for a registry host (`docker.io`, `127.0.0.1:5000`); `undefined`: anonymous. */
  get(host: string, signal?: AbortSignal): Promise<Credential | undefined>;
}

/** A source that answers from a fixed map of host → credential. */
export function staticCredentials(byHost: Readonly<Record<string, Credential>>): CredentialSource {
  const map = new Map(Object.entries(byHost));
  return { get: (host) => Promise.resolve(map.get(host)) };
}

/** A source with no credentials at all. */
export const anonymousCredentials: CredentialSource = staticCredentials({});

/** True when the credential can authenticate (a password, an identity or registry token). */
export function hasSecret(credential: Credential | undefined): credential is Credential {
  return (
    credential !== undefined &&
    ((credential.username !== undefined && credential.password !== undefined) ||
      credential.identityToken !== undefined ||
      credential.registryToken !== undefined)
  );
}

/** `user alice`, `an identity token`…: what a message may say about a credential. */
export function credentialLabel(credential: Credential): string {
  if (credential.registryToken !== undefined) return 'the registry token';
  if (credential.identityToken !== undefined) return 'the identity token';
  return `user ${credential.username ?? '(none)'}`;
}
