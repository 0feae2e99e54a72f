/**
 * The Go structures legacy image JSON was re-encoded through (spec §2.1, §4.3): the image and
 * container-config structs of Docker 1.8.3 (strong IDs, §3.3) and of Docker 1.10 (`V1Image` and
 * engine-api's `container.Config`, §4.4), plus 1.10's `History` and `RootFS`. Field order and
 * `omitempty` flags are what the byte-exact re-encoding depends on.
 */
import type { GoField, GoStruct } from './go-json/struct-codec.ts';

const field = (key: string, type: GoField['type'], omitEmpty = false): GoField => ({
  key,
  type,
  omitEmpty,
});

const CONFIG_1_8_3: GoStruct = {
  name: 'Config (Docker 1.8.3)',
  fields: [
    field('Hostname', 'string'),
    field('Domainname', 'string'),
    field('User', 'string'),
    field('AttachStdin', 'bool'),
    field('AttachStdout', 'bool'),
    field('AttachStderr', 'bool'),
    field('ExposedPorts', 'emptyStructMap', true),
    field('PublishService', 'string', true),
    field('Tty', 'bool'),
    field('OpenStdin', 'bool'),
    field('StdinOnce', 'bool'),
    field('Env', 'stringSlice'),
    field('Cmd', 'strSlice'),
    field('Image', 'string'),
    field('Volumes', 'emptyStructMap'),
    field('VolumeDriver', 'string', true),
    field('WorkingDir', 'string'),
    field('Entrypoint', 'strSlice'),
    field('NetworkDisabled', 'bool', true),
    field('MacAddress', 'string', true),
    field('OnBuild', 'stringSlice'),
    field('Labels', 'stringMap'),
  ],
};

const CONFIG_1_10: GoStruct = {
  name: 'Config (Docker 1.10)',
  fields: [
    field('Hostname', 'string'),
    field('Domainname', 'string'),
    field('User', 'string'),
    field('AttachStdin', 'bool'),
    field('AttachStdout', 'bool'),
    field('AttachStderr', 'bool'),
    field('ExposedPorts', 'emptyStructMap', true),
    field('PublishService', 'string', true),
    field('Tty', 'bool'),
    field('OpenStdin', 'bool'),
    field('StdinOnce', 'bool'),
    field('Env', 'stringSlice'),
    field('Cmd', 'strSlice'),
    field('ArgsEscaped', 'bool', true),
    field('Image', 'string'),
    field('Volumes', 'emptyStructMap'),
    field('WorkingDir', 'string'),
    field('Entrypoint', 'strSlice'),
    field('NetworkDisabled', 'bool', true),
    field('MacAddress', 'string', true),
    field('OnBuild', 'stringSlice'),
    field('Labels', 'stringMap'),
    field('StopSignal', 'string', true),
  ],
};

function imageFields(config: GoStruct): GoField[] {
  return [
    field('id', 'string', true),
    field('parent', 'string', true),
    field('comment', 'string', true),
    field('created', 'time'),
    field('container', 'string', true),
    field('container_config', { struct: config }),
    field('docker_version', 'string', true),
    field('author', 'string', true),
    field('config', { pointer: config }, true),
    field('architecture', 'string', true),
    field('os', 'string', true),
    field('Size', 'int64', true),
  ];
}

/** Docker 1.8.3's `image.Image`, through which §3.3's fallback re-encodes. */
export const IMAGE_1_8_3: GoStruct = {
  name: 'image (Docker 1.8.3)',
  fields: [
    ...imageFields(CONFIG_1_8_3),
    field('parent_id', 'string', true),
    field('layer_id', 'string', true),
  ],
};

/** Docker 1.10's `image.V1Image` (§4.4, §5.2). */
export const V1_IMAGE: GoStruct = { name: 'V1Image', fields: imageFields(CONFIG_1_10) };

/** Docker 1.10's `image.History`. */
export const HISTORY: GoStruct = {
  name: 'History',
  fields: [
    field('created', 'time'),
    field('author', 'string', true),
    field('created_by', 'string', true),
    field('comment', 'string', true),
    field('empty_layer', 'bool', true),
  ],
};

/** Docker 1.10's `image.RootFS`. */
export const ROOTFS: GoStruct = {
  name: 'RootFS',
  fields: [field('type', 'string'), field('diff_ids', 'stringSlice', true)],
};

/** Just the `docker_version` key, which decides whether to re-encode (§3.3 step 1). */
export const DOCKER_VERSION_ONLY: GoStruct = {
  name: 'docker_version',
  fields: [field('docker_version', 'string')],
};

/** Just the schema1 `throwaway` flag. */
export const THROWAWAY_ONLY: GoStruct = {
  name: 'throwaway',
  fields: [field('throwaway', 'bool', true)],
};
