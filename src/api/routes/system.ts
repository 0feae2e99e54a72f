/**
 * The daemon-wide endpoints a client asks first: `/_ping` (GET and HEAD, with dockerd's
 * `Api-Version`, `Ostype`, `Docker-Experimental` headers), `/version` and `/info`, with true
 * values about shale and its store.
 */
import { cpus, release, totalmem } from 'node:os';
import { hostPlatform } from '../../core/index.ts';
import { shaleVersion } from '../../present/index.ts';
import type { ApiRequest } from '../request.ts';
import { API_VERSION, MIN_API_VERSION, type Router } from '../router.ts';

/** This machine's architecture as Go names it (`amd64`), as dockerd reports it. */
const arch = (): string => hostPlatform().architecture;

function ping(request: ApiRequest): void {
  const headers = {
    'api-version': API_VERSION,
    ostype: 'linux',
    'docker-experimental': 'false',
    'cache-control': 'no-cache, no-store, must-revalidate',
    pragma: 'no-cache',
    'content-type': 'text/plain; charset=utf-8',
  };
  request.res.writeHead(200, headers);
  request.res.end(request.req.method === 'HEAD' ? undefined : 'OK');
}

function version(request: ApiRequest): void {
  request.json(200, {
    Platform: { Name: 'shale' },
    Components: [{ Name: 'shale', Version: shaleVersion(), Details: { ApiVersion: API_VERSION } }],
    Version: shaleVersion(),
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: arch(),
    KernelVersion: release(),
    BuildTime: '',
  });
}

async function info(request: ApiRequest): Promise<void> {
  const images = (await request.store.images.ids()).length;
  request.json(200, {
    ID: '',
    Containers: 0,
    ContainersRunning: 0,
    ContainersPaused: 0,
    ContainersStopped: 0,
    Images: images,
    Driver: 'shale',
    DriverStatus: [],
    DockerRootDir: request.store.layout.root,
    Name: 'shale',
    OperatingSystem: 'shale image store',
    OSType: 'linux',
    Architecture: arch(),
    KernelVersion: release(),
    NCPU: cpus().length,
    MemTotal: totalmem(),
    ServerVersion: shaleVersion(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'], Mirrors: [] },
    Plugins: { Volume: [], Network: [], Authorization: null, Log: [] },
    Warnings: [],
  });
}

export function systemRoutes(router: Router): void {
  router
    .add('GET', /^\/_ping$/, ping)
    .add('GET', /^\/version$/, version)
    .add('GET', /^\/info$/, info);
}
