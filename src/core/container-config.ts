/**
 * Docker's `container.Config` (Engine API 1.41, Docker 20.10): the shape image configs' `config`
 * and `container_config` take when Docker reads them and writes them back — every field in
 * Docker's order, zero values written out, `omitempty` fields left out when empty, map keys
 * sorted, unknown fields dropped, keys matched case-insensitively as Go's JSON decoder does.
 */

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

type Set = Record<string, Record<string, never>>;

export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Set;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[] | null;
  Cmd: string[] | null;
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean;
  Image: string;
  Volumes: Set | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild: string[] | null;
  Labels: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number;
  Shell?: string[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value of field `name`: the exact key first, else one equal ignoring case (Go's rule). */
function field(raw: Json, name: string): unknown {
  if (name in raw) return raw[name];
  const lower = name.toLowerCase();
  const key = Object.keys(raw).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : raw[key];
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const flag = (v: unknown): boolean => v === true;
const integer = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) ? v : undefined;

function strings(v: unknown): string[] | null {
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? [...v] : null;
}

/** Docker's StrSlice: a JSON string stands for a one-element list. */
function strSlice(v: unknown): string[] | null {
  return typeof v === 'string' ? [v] : strings(v);
}

function sortedKeys<T>(map: Json, value: (v: unknown) => T): Record<string, T> {
  return Object.fromEntries(
    Object.keys(map)
      .sort()
      .map((k) => [k, value(map[k])]),
  );
}

const set = (v: unknown): Set | null => (isObject(v) ? sortedKeys(v, () => ({})) : null);

function labels(v: unknown): Record<string, string> | null {
  return isObject(v) ? sortedKeys(v, text) : null;
}

function health(v: unknown): HealthConfig | undefined {
  if (!isObject(v)) return undefined;
  const out: HealthConfig = {};
  const test = strings(field(v, 'Test'));
  if (test?.length) out.Test = test;
  for (const name of ['Interval', 'Timeout', 'StartPeriod', 'Retries'] as const) {
    const n = integer(field(v, name));
    if (n) out[name] = n;
  }
  return out;
}

/** The zero config: what Docker shows for an image without one in `container_config`. */
export function emptyContainerConfig(): ContainerConfig {
  return toContainerConfig({});
}

/** `raw` (an image config's `config` or `container_config`) as Docker reads and shows it. */
export function toContainerConfig(raw: unknown): ContainerConfig {
  const r = isObject(raw) ? raw : {};
  const out = {} as ContainerConfig;
  const put = <K extends keyof ContainerConfig>(
    key: K,
    value: ContainerConfig[K] | undefined,
    omitEmpty = false,
  ): void => {
    const empty =
      value === undefined ||
      (omitEmpty &&
        (value === '' ||
          value === false ||
          value === null ||
          (Array.isArray(value) && value.length === 0) ||
          (isObject(value) && key !== 'Healthcheck' && Object.keys(value).length === 0)));
    if (!empty || !omitEmpty) out[key] = value as ContainerConfig[K];
  };
  put('Hostname', text(field(r, 'Hostname')));
  put('Domainname', text(field(r, 'Domainname')));
  put('User', text(field(r, 'User')));
  put('AttachStdin', flag(field(r, 'AttachStdin')));
  put('AttachStdout', flag(field(r, 'AttachStdout')));
  put('AttachStderr', flag(field(r, 'AttachStderr')));
  put('ExposedPorts', set(field(r, 'ExposedPorts')) ?? undefined, true);
  put('Tty', flag(field(r, 'Tty')));
  put('OpenStdin', flag(field(r, 'OpenStdin')));
  put('StdinOnce', flag(field(r, 'StdinOnce')));
  put('Env', strings(field(r, 'Env')));
  put('Cmd', strSlice(field(r, 'Cmd')));
  put('Healthcheck', health(field(r, 'Healthcheck')), true);
  put('ArgsEscaped', flag(field(r, 'ArgsEscaped')), true);
  put('Image', text(field(r, 'Image')));
  put('Volumes', set(field(r, 'Volumes')));
  put('WorkingDir', text(field(r, 'WorkingDir')));
  put('Entrypoint', strSlice(field(r, 'Entrypoint')));
  put('NetworkDisabled', flag(field(r, 'NetworkDisabled')), true);
  put('MacAddress', text(field(r, 'MacAddress')), true);
  put('OnBuild', strings(field(r, 'OnBuild')));
  put('Labels', labels(field(r, 'Labels')));
  put('StopSignal', text(field(r, 'StopSignal')), true);
  put('StopTimeout', integer(field(r, 'StopTimeout')), true);
  put('Shell', strSlice(field(r, 'Shell')) ?? undefined, true);
  return out;
}
