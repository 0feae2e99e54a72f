// Mirror configuration: registries.conf rules and daemon.json `registry-mirrors` as read, which
// mirrors a repository gets (longest prefix, whole path components, the mirror's path in place of
// the prefix, digest-only/tag-only), and bad configs refused as `shale:` errors with exit 1.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isShaleError } from '../../src/core/errors.ts';
import {
  loadMirrorSettings,
  parseDaemonJsonMirrors,
  parseRegistriesConf,
} from '../../src/registry/mirror-config.ts';
import { mirrorsFor } from '../../src/registry/transport/mirrors.ts';
import { runShale } from '../helpers/shale.ts';

const work = fs.mkdtempSync(path.join(tmpdir(), 'shale-mirror-config-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const CONF = `
[[registry]]
prefix = "index.docker.io"
[[registry.mirror]]
location = "mirror.example.com/hub"
[[registry.mirror]]
location = "10.0.0.9:5000"
insecure = true
pull-from-mirror = "digest-only"

[[registry]]
location = "quay.io/team"
insecure = true
mirror-by-digest-only = true
[[registry.mirror]]
location = "cache.internal:443/quay-team"

[[registry]]
prefix = "quay.io/team/special"
`;

test('registries.conf: rules, insecure hosts, Docker Hub spelled docker.io', () => {
  const settings = parseRegistriesConf(CONF, 'conf');
  assert.deepEqual(settings.rules, [
    {
      prefix: 'docker.io',
      mirrors: [
        { location: 'mirror.example.com/hub', use: 'all' },
        { location: '10.0.0.9:5000', use: 'digest-only' },
      ],
    },
    {
      prefix: 'quay.io/team',
      mirrors: [{ location: 'cache.internal:443/quay-team', use: 'digest-only' }],
    },
    { prefix: 'quay.io/team/special', mirrors: [] },
  ]);
  assert.deepEqual(settings.insecureHosts, ['10.0.0.9:5000', 'quay.io']);
});

test('mirrorsFor: longest prefix on whole components, mirror path in place of the prefix', () => {
  const { rules } = parseRegistriesConf(CONF, 'conf');
  assert.deepEqual(mirrorsFor(rules, 'docker.io', 'library/alpine', false), [
    { domain: 'mirror.example.com', path: 'hub/library/alpine' },
  ]);
  assert.deepEqual(mirrorsFor(rules, 'docker.io', 'library/alpine', true), [
    { domain: 'mirror.example.com', path: 'hub/library/alpine' },
    { domain: '10.0.0.9:5000', path: 'library/alpine' },
  ]);
  assert.deepEqual(mirrorsFor(rules, 'quay.io', 'team/app', true), [
    { domain: 'cache.internal:443', path: 'quay-team/app' },
  ]);
  assert.deepEqual(mirrorsFor(rules, 'quay.io', 'team/app', false), [], 'digest-only');
  assert.deepEqual(
    mirrorsFor(rules, 'quay.io', 'team/special/x', true),
    [],
    'the longer prefix wins',
  );
  assert.deepEqual(mirrorsFor(rules, 'quay.io', 'teammate/app', true), [], 'whole components only');
  assert.deepEqual(mirrorsFor(rules, 'ghcr.io', 'a/b', true), []);
});

test('daemon.json: registry-mirrors for Docker Hub; http ones are insecure; other keys ignored', () => {
  const text = JSON.stringify({
    'registry-mirrors': ['https://mirror.gcr.io', 'http://127.0.0.1:5001/'],
    'log-driver': 'json-file',
  });
  assert.deepEqual(parseDaemonJsonMirrors(text, 'daemon.json'), {
    rules: [
      {
        prefix: 'docker.io',
        mirrors: [
          { location: 'mirror.gcr.io', use: 'all' },
          { location: '127.0.0.1:5001', use: 'all' },
        ],
      },
    ],
    insecureHosts: ['127.0.0.1:5001'],
  });
});

test('both sources: Docker mirrors follow registries.conf ones; the default path is read when present', () => {
  const home = path.join(work, 'config-home');
  fs.mkdirSync(path.join(home, 'shale'), { recursive: true });
  fs.writeFileSync(path.join(home, 'shale', 'registries.conf'), CONF);
  const daemon = path.join(work, 'daemon.json');
  fs.writeFileSync(daemon, JSON.stringify({ 'registry-mirrors': ['https://m2.example'] }));
  const settings = loadMirrorSettings({ dockerDaemonJson: daemon }, { XDG_CONFIG_HOME: home });
  assert.deepEqual(
    settings.rules[0]!.mirrors.map((m) => m.location),
    ['mirror.example.com/hub', '10.0.0.9:5000', 'm2.example'],
  );
  assert.deepEqual(loadMirrorSettings({}, { XDG_CONFIG_HOME: path.join(work, 'none') }).rules, []);
});

const badConfs: [string, RegExp][] = [
  [
    '[[registry]]\nprefix = "a.io"\nblocked = true',
    /\[\[registry\]\] #1: unsupported key "blocked"/,
  ],
  [
    'unqualified-search-registries = ["docker.io"]',
    /unsupported key "unqualified-search-registries"/,
  ],
  ['[[registry]]\nprefix = "*.example.com"', /not host\[:port\]\[\/path\]/],
  ['[[registry]]\nprefix = "https://a.io"', /no scheme/],
  ['[[registry]]\nprefix = "a.io"\nlocation = "b.io"', /a rewrite\) is not supported/],
  ['[[registry]]\nprefix = "a.io"\n[[registry]]\nprefix = "a.io"', /configured twice/],
  ['[[registry]]\ninsecure = true', /needs a "prefix" or a "location"/],
  [
    '[[registry]]\nprefix = "a.io"\n[[registry.mirror]]\ninsecure = true',
    /\[\[registry\.mirror\]\] #1: a mirror needs a "location"/,
  ],
  [
    '[[registry]]\nprefix = "a.io"\n[[registry.mirror]]\nlocation = "m.io"\npull-from-mirror = "sometimes"',
    /"pull-from-mirror" must be one of/,
  ],
  ['[[registry]]\nprefix = "a.io"\ninsecure = "yes"', /"insecure" must be true or false/],
  ['[registry]\nprefix = "a.io"', /must be written as \[\[registry\]\] tables/],
  ['[[registry]]\nprefix = 5000', /line 2: unsupported value/],
];

for (const [i, [text, message]] of badConfs.entries()) {
  test(`registries.conf refused (${i + 1}): ${JSON.stringify(text.split('\n').at(-1))}`, () => {
    assert.throws(
      () => parseRegistriesConf(text, 'r.conf'),
      (err: unknown) => isShaleError(err, 'ERR_INVALID_ARGUMENT') && message.test(err.message),
    );
  });
}

test('daemon.json refused: not JSON, not a list, a mirror with a path or another scheme', () => {
  for (const [text, message] of [
    ['{', /not JSON/],
    ['{"registry-mirrors": "https://m.io"}', /must be a list of URLs/],
    ['{"registry-mirrors": ["https://m.io/v2"]}', /without a path/],
    ['{"registry-mirrors": ["m.io"]}', /not an http\(s\):\/\/host/],
    ['{"registry-mirrors": ["ftp://m.io"]}', /not an http\(s\):\/\/host/],
  ] as const) {
    assert.throws(
      () => parseDaemonJsonMirrors(text, 'd.json'),
      (err: unknown) => isShaleError(err, 'ERR_INVALID_ARGUMENT') && message.test(err.message),
      text,
    );
  }
});

test('the CLI says what is wrong with a config, exit 1, and leaves the store alone', () => {
  const root = path.join(work, 'store');
  const conf = path.join(work, 'bad.conf');
  fs.writeFileSync(conf, '[[registry]]\nprefix = "127.0.0.1:5999"\nport = 5000\n');
  const cases: [string[], Record<string, string>, RegExp][] = [
    [
      ['--registries-conf', conf],
      {},
      new RegExp(`^shale: ${conf} line 3: unsupported value "5000"`),
    ],
    [[], { SHALE_REGISTRIES_CONF: conf }, new RegExp(`^shale: ${conf} line 3`)],
    [
      ['--registries-conf', path.join(work, 'missing.conf')],
      {},
      /^shale: cannot read registries config .*missing\.conf: ENOENT/,
    ],
    [['--docker-daemon-json', conf], {}, /^shale: .*bad\.conf: not JSON/],
  ];
  for (const [flags, env, message] of cases) {
    const saved = { ...process.env };
    Object.assign(process.env, env, { XDG_CONFIG_HOME: path.join(work, 'none') });
    try {
      const run = runShale([...flags, '--root', root, 'pull', '127.0.0.1:5999/a/b:c']);
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1, `one line, no stack:\n${run.stderr}`);
    } finally {
      process.env = saved;
    }
  }
  assert.equal(fs.existsSync(root), false, 'no store was made');
});
