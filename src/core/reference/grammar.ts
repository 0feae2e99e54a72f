/**
 * Reference grammar: the regular expressions of Docker's image reference syntax
 * (`[domain[:port]/]path[:tag][@digest]`, as defined by distribution/reference) and the constants
 * that go with them. Every pattern is ASCII-only; JavaScript's `\w` is ASCII here as in Go's RE2.
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] remote
 *   domain     := host [ ":" port ]
 *   host       := domain-name | "[" ipv6-chars "]"
 *   domain-name:= label ( "." label )*        label: [a-zA-Z0-9] with inner "-" allowed
 *   port       := [0-9]+
 *   remote     := component ( "/" component )*
 *   component  := [a-z0-9]+ ( separator [a-z0-9]+ )*
 *   separator  := "." | "_" | "__" | "-"+
 *   tag        := [\w][\w.-]{0,127}
 *   digest     := algorithm ":" [0-9a-fA-F]{32,}
 *   algorithm  := [A-Za-z][A-Za-z0-9]* ( [-_+.] [A-Za-z][A-Za-z0-9]* )*
 *   identifier := [a-f0-9]{64}                (an image id, not a name)
 *
 * The exported `*Regexp` values without `anchored` in their name are unanchored (for finding or
 * composing); the `anchored*` ones match a whole string. None carries the `g` or `y` flag, so
 * they hold no state between calls.
 */

/** Most characters the repository path (the part after the domain) may have. */
export const REPOSITORY_NAME_TOTAL_LENGTH_MAX = 255;

/** The registry that short names resolve to. */
export const DEFAULT_DOMAIN = 'docker.io';

/** The old Docker Hub host name, rewritten to {@link DEFAULT_DOMAIN} when normalising. */
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';

/** Namespace of Docker Hub's official images (`alpine` is `library/alpine`). */
export const OFFICIAL_REPO_PREFIX = 'library/';

const LOWER_ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|-+)';
const LABEL = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${LABEL}(?:\\.${LABEL})*`;
const IPV6_LITERAL = '\\[[a-fA-F0-9:]+\\]';
const HOST = `(?:${DOMAIN_NAME}|${IPV6_LITERAL})`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const COMPONENT = `${LOWER_ALNUM}(?:${SEPARATOR}${LOWER_ALNUM})*`;
const REMOTE = `${COMPONENT}(?:/${COMPONENT})*`;
const NAME = `(?:${DOMAIN}/)?${REMOTE}`;
const TAG = '\\w[\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const IDENTIFIER = '[a-f0-9]{64}';

/** A registry host (name, IPv4 or bracketed IPv6) with an optional `:port`. Unanchored. */
export const domainRegexp = new RegExp(DOMAIN);
/** {@link domainRegexp} over a whole string. */
export const anchoredDomainRegexp = new RegExp(`^${DOMAIN}$`);

/** A repository name, with or without a domain. Unanchored. */
export const nameRegexp = new RegExp(NAME);
/** A whole repository name. Group 1: the domain (undefined when absent); group 2: the path. */
export const anchoredNameRegexp = new RegExp(`^(?:(${DOMAIN})/)?(${REMOTE})$`);

/** A tag. Unanchored. */
export const tagRegexp = new RegExp(TAG);
/** A whole tag. */
export const anchoredTagRegexp = new RegExp(`^${TAG}$`);

/** A digest's shape (`algorithm:hex`, at least 32 hex digits). Unanchored. */
export const digestRegexp = new RegExp(DIGEST);
/** A whole digest's shape; the algorithm and length are checked separately. */
export const anchoredDigestRegexp = new RegExp(`^${DIGEST}$`);

/** A 64-hex image id. Unanchored. */
export const identifierRegexp = new RegExp(IDENTIFIER);
/** A whole 64-hex image id. */
export const anchoredIdentifierRegexp = new RegExp(`^${IDENTIFIER}$`);

/**
 * A whole reference. Group 1: the name; group 2: the tag; group 3: the digest (groups 2 and 3 are
 * undefined when absent).
 */
export const referenceRegexp = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
