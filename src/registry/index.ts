/**
 * The registry layer: HTTP transport, authentication and the `RegistryClient` that pull and push
 * are built on.
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
