/**
 * Where pull mirrors are configured, and reading them: a shale registries config in
 * containers-registries' `registries.conf` shape (`[[registry]]` tables with `prefix`/`location`,
 * `insecure`, `mirror-by-digest-only` and `[[registry.mirror]]` entries with `location`,
 * `insecure`, `pull-from-mirror`), and Docker's `registry-mirrors` list (daemon.json) for Docker
 * Hub. Anything else in registries.conf is refused rather than silently ignored.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { ShaleError } from '../core/errors.ts';
import { parseToml, type TomlTable, type TomlValue } from '../core/toml.ts';
import {
  normalizePrefix,
  type Mirror,
  type MirrorRule,
  type MirrorUse,
} from './transport/mirrors.ts';

export interface MirrorSettings {
  rules: MirrorRule[];
  /** Registries and mirrors marked `insecure` (plain HTTP). */
  insecureHosts: string[];
}

/** The files a shell names; unset ones come from the environment (and the default path). */
export interface MirrorFiles {
  registriesConf?: string;
  dockerDaemonJson?: string;
}

/** `host[:port][/path]`, no scheme, no wildcard. */
const LOCATION = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?(?:\/[a-z0-9._/-]+)?$/;
const USES: readonly MirrorUse[] = ['all', 'digest-only', 'tag-only'];

function invalid(where: string, message: string): ShaleError {
  return new ShaleError('ERR_INVALID_ARGUMENT', `${where}: ${message}`);
}

/** The keys of `table`, refusing those not in `allowed`. */
function checkKeys(table: TomlTable, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(table)) {
    if (!allowed.includes(key))
      throw invalid(where, `unsupported key "${key}" (shale reads ${allowed.join(', ')})`);
  }
}

function stringOf(value: TomlValue | undefined, key: string, where: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw invalid(where, `"${key}" must be a string`);
}

function boolOf(value: TomlValue | undefined, key: string, where: string): boolean {
  if (value === undefined || typeof value === 'boolean') return value ?? false;
  throw invalid(where, `"${key}" must be true or false`);
}

function location(value: string, key: string, where: string): string {
  const trimmed = value.replace(/\/+$/, '');
  if (!LOCATION.test(trimmed))
    throw invalid(where, `${key} "${value}" is not host[:port][/path] (no scheme, no wildcards)`);
  return trimmed;
}

function tablesOf(value: TomlValue | undefined, name: string, where: string): TomlTable[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'object' || Array.isArray(v)))
    throw invalid(where, `"${name}" must be written as [[${name}]] tables`);
  return value as TomlTable[];
}

function parseMirror(
  table: TomlTable,
  digestOnly: boolean,
  where: string,
): Mirror & { insecure: boolean } {
  checkKeys(table, ['location', 'insecure', 'pull-from-mirror'], where);
  const at = stringOf(table.location, 'location', where);
  if (at === undefined) throw invalid(where, 'a mirror needs a "location"');
  const use =
    stringOf(table['pull-from-mirror'], 'pull-from-mirror', where) ??
    (digestOnly ? 'digest-only' : 'all');
  if (!USES.includes(use as MirrorUse))
    throw invalid(where, `"pull-from-mirror" must be one of ${USES.join(', ')}, not "${use}"`);
  return {
    location: location(at, 'location', where),
    use: use as MirrorUse,
    insecure: boolOf(table.insecure, 'insecure', where),
  };
}

/** The rules and insecure hosts of a registries.conf text (`source` names it in errors). */
export function parseRegistriesConf(text: string, source: string): MirrorSettings {
  const root = parseToml(text, source);
  checkKeys(root, ['registry'], source);
  const settings: MirrorSettings = { rules: [], insecureHosts: [] };
  for (const [i, table] of tablesOf(root.registry, 'registry', source).entries()) {
    const where = `${source}: [[registry]] #${i + 1}`;
    checkKeys(table, ['prefix', 'location', 'insecure', 'mirror-by-digest-only', 'mirror'], where);
    const at = stringOf(table.location, 'location', where);
    const given = stringOf(table.prefix, 'prefix', where) ?? at;
    if (given === undefined) throw invalid(where, 'a registry needs a "prefix" or a "location"');
    const prefix = normalizePrefix(location(given, 'prefix', where));
    if (at !== undefined && normalizePrefix(location(at, 'location', where)) !== prefix)
      throw invalid(where, `a "location" other than the prefix (a rewrite) is not supported`);
    if (settings.rules.some((r) => r.prefix === prefix))
      throw invalid(where, `prefix "${prefix}" is configured twice`);
    const digestOnly = boolOf(table['mirror-by-digest-only'], 'mirror-by-digest-only', where);
    const mirrors = tablesOf(table.mirror, 'registry.mirror', where).map((m, j) =>
      parseMirror(m, digestOnly, `${where}, [[registry.mirror]] #${j + 1}`),
    );
    if (boolOf(table.insecure, 'insecure', where))
      settings.insecureHosts.push(prefix.split('/')[0]!);
    for (const m of mirrors) if (m.insecure) settings.insecureHosts.push(m.location.split('/')[0]!);
    settings.rules.push({
      prefix,
      mirrors: mirrors.map(({ location, use }) => ({ location, use })),
    });
  }
  return settings;
}

/** Docker Hub's mirrors from a daemon.json text: `registry-mirrors`, URLs without a path. */
export function parseDaemonJsonMirrors(text: string, source: string): MirrorSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid(source, `not JSON (${(err as Error).message})`);
  }
  const list = (parsed as { 'registry-mirrors'?: unknown } | null)?.['registry-mirrors'];
  if (list === undefined) return { rules: [], insecureHosts: [] };
  if (!Array.isArray(list) || list.some((u) => typeof u !== 'string'))
    throw invalid(source, '"registry-mirrors" must be a list of URLs');
  const settings: MirrorSettings = { rules: [], insecureHosts: [] };
  const mirrors = (list as string[]).map((text): Mirror => {
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (
      !url ||
      !['http:', 'https:'].includes(url.protocol) ||
      url.pathname !== '/' ||
      url.search !== ''
    )
      throw invalid(
        source,
        `registry mirror "${text}" is not an http(s)://host[:port] URL without a path`,
      );
    if (url.protocol === 'http:') settings.insecureHosts.push(url.host);
    return { location: url.host, use: 'all' };
  });
  if (mirrors.length > 0) settings.rules.push({ prefix: 'docker.io', mirrors });
  return settings;
}

/** Both sources together: Docker's mirrors come after registries.conf's own for Docker Hub. */
function merge(a: MirrorSettings, b: MirrorSettings): MirrorSettings {
  const rules = [...a.rules];
  for (const rule of b.rules) {
    const i = rules.findIndex((r) => r.prefix === rule.prefix);
    if (i < 0) rules.push(rule);
    else rules[i] = { prefix: rule.prefix, mirrors: [...rules[i]!.mirrors, ...rule.mirrors] };
  }
  return { rules, insecureHosts: [...a.insecureHosts, ...b.insecureHosts] };
}

/** The text of a config file; undefined when an optional one is absent. */
function readConfig(file: string, what: string, optional: boolean): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (optional && code === 'ENOENT') return undefined;
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `cannot read ${what} ${file}: ${code ?? (err as Error).message}`,
    );
  }
}

/**
 * The mirror settings in force: registries.conf from `files`, else `$SHALE_REGISTRIES_CONF`, else
 * `$XDG_CONFIG_HOME/shale/registries.conf` when it exists; daemon.json from `files`, else
 * `$SHALE_DOCKER_DAEMON_JSON`.
 */
export function loadMirrorSettings(
  files: MirrorFiles = {},
  env: NodeJS.ProcessEnv = process.env,
): MirrorSettings {
  const named = files.registriesConf ?? (env.SHALE_REGISTRIES_CONF || undefined);
  const configHome = env.XDG_CONFIG_HOME || path.join(homedir(), '.config');
  const confFile = named ?? path.join(configHome, 'shale', 'registries.conf');
  const conf = readConfig(confFile, 'registries config', named === undefined);
  const daemonFile = files.dockerDaemonJson ?? (env.SHALE_DOCKER_DAEMON_JSON || undefined);
  const daemon =
    daemonFile === undefined ? undefined : readConfig(daemonFile, 'daemon.json', false);
  return merge(
    conf === undefined ? { rules: [], insecureHosts: [] } : parseRegistriesConf(conf, confFile),
    daemon === undefined
      ? { rules: [], insecureHosts: [] }
      : parseDaemonJsonMirrors(daemon, daemonFile!),
  );
}
