/**
 * Registry authentication: challenge parsing, scopes, bearer tokens, Basic auth, credentials from
 * Docker's config file and credential helpers, and `login`/`logout`.
 */
export { parseChallenges, type Challenge } from './challenge.ts';
export {
  repositoryScope,
  formatScope,
  parseScope,
  mergeScopes,
  type Action,
  type Scope,
} from './scope.ts';
export {
  staticCredentials,
  anonymousCredentials,
  hasSecret,
  type Credential,
  type CredentialSource,
} from './credentials.ts';
export {
  DOCKER_HUB_CONFIG_KEY,
  dockerConfigFile,
  readDockerConfig,
  configKey,
  type DockerConfig,
  type DockerConfigLocation,
} from './docker-config.ts';
export { dockerConfigCredentials } from './docker-credentials.ts';
export { helperGet, helperStore, helperErase } from './credential-helper.ts';
export {
  bearerChallenge,
  fetchToken,
  basicAuthorization,
  type BearerChallenge,
  type BearerToken,
} from './token.ts';
export { Authenticator } from './authenticator.ts';
export { login, logout, verifyCredential, storeCredential, type LoginOptions } from './login.ts';
