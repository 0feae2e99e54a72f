/**
 * @module shale/api — the Docker Engine API's image endpoints over a store (`shale serve`): the
 * docker CLI and Docker SDKs drive shale through a unix socket.
 */
export { serveApi, type ApiServer, type ServeOptions } from './server.ts';
export { defaultHost } from './listen.ts';
export { loadMutualTls, type MutualTls, type TlsFlags } from './tls.ts';
export { API_VERSION, MIN_API_VERSION } from './router.ts';
