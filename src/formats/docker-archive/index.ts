/** docker-archive (`docker save` 1.10+ and the Docker 25+ dual layout): writing and staging loads. */
export { writeDockerArchive } from './write.ts';
export { stageDockerArchive, type DockerArchiveOptions } from './load.ts';
export { parseDockerManifest, type DockerManifestItem } from './manifest-json.ts';
