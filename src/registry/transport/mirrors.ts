/**
 * Mirror resolution: which other registries may serve a pull of a repository before its origin
 * does. A rule covers every repository under its `prefix` (`docker.io`, `quay.io/team`; the
 * longest matching prefix wins, on whole path components) and lists mirrors, each a
 * `host[:port][/path]` location that takes the prefix's place in the repository name, as
 * containers-registries' `registries.conf` reads them. Pushes never consult these.
 */
import { isDockerHub } from './endpoint.ts';

/** When a mirror is asked, as `pull-from-mirror` in registries.conf says it. */
export type MirrorUse = 'all' | 'digest-only' | 'tag-only';

export interface Mirror {
  /** `host[:port]` with an optional path that replaces the rule's prefix. */
  readonly location: string;
  readonly use: MirrorUse;
}

export interface MirrorRule {
  /** `host[:port][/path]`: the repositories the rule covers (Docker Hub spelled `docker.io`). */
  readonly prefix: string;
  /** Tried in order, before the origin. */
  readonly mirrors: readonly Mirror[];
}

/** A repository on a mirror: the domain to reach and the repository path there. */
export interface MirrorRepository {
  readonly domain: string;
  readonly path: string;
}

/** A prefix as references spell it: Docker Hub's other names become `docker.io`. */
export function normalizePrefix(prefix: string): string {
  const slash = prefix.indexOf('/');
  const host = slash < 0 ? prefix : prefix.slice(0, slash);
  const rest = slash < 0 ? '' : prefix.slice(slash);
  return `${isDockerHub(host) ? 'docker.io' : host.toLowerCase()}${rest}`;
}

/**
 * The mirrors to try, in order, for repository `path` on `domain`, pulled by digest or by tag
 * (a mirror restricted to the other kind is left out).
 */
export function mirrorsFor(
  rules: readonly MirrorRule[],
  domain: string,
  path: string,
  byDigest: boolean,
): MirrorRepository[] {
  const name = `${normalizePrefix(domain)}/${path}`;
  const rule = rules
    .filter((r) => name === r.prefix || name.startsWith(`${r.prefix}/`))
    .reduce<MirrorRule | undefined>(
      (best, r) => (best && best.prefix.length >= r.prefix.length ? best : r),
      undefined,
    );
  if (!rule) return [];
  const rest = name.slice(rule.prefix.length + 1);
  return rule.mirrors
    .filter((m) => m.use === 'all' || (m.use === 'digest-only') === byDigest)
    .map((m) => {
      const slash = m.location.indexOf('/');
      const host = slash < 0 ? m.location : m.location.slice(0, slash);
      const base = slash < 0 ? '' : m.location.slice(slash + 1);
      return { domain: host, path: [base, rest].filter((p) => p !== '').join('/') };
    })
    .filter((m) => m.path !== '');
}
