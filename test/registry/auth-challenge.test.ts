// The WWW-Authenticate parser (RFC 7235) with tricky inputs, the Bearer view of a challenge, and
// scope building, parsing and merging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallenges } from '../../src/registry/auth/challenge.ts';
import {
  formatScope,
  mergeScopes,
  parseScope,
  repositoryScope,
} from '../../src/registry/auth/scope.ts';
import { bearerChallenge } from '../../src/registry/auth/token.ts';

test('a registry Bearer challenge', () => {
  assert.deepEqual(
    parseChallenges(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
    ),
    [
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/alpine:pull',
        },
      },
    ],
  );
});

test('several challenges in one header, and several header lines', () => {
  const both = parseChallenges('Bearer realm="r1",service="s", Basic realm="b"');
  assert.deepEqual(
    both.map((c) => [c.scheme, c.params]),
    [
      ['bearer', { realm: 'r1', service: 's' }],
      ['basic', { realm: 'b' }],
    ],
  );
  const lines = parseChallenges(['Basic realm="peers-basic"', 'BEARER Realm=http://t/token']);
  assert.deepEqual(
    lines.map((c) => [c.scheme, c.params]),
    [
      ['basic', { realm: 'peers-basic' }],
      ['bearer', { realm: 'http://t/token' }],
    ],
  );
});

test('the RFC 7235 example: escapes, tokens and spaces around =', () => {
  const parsed = parseChallenges(
    'Newauth realm="apps", type=1,\t title="Login to \\"apps\\"", Basic realm="simple"',
  );
  assert.deepEqual(parsed, [
    { scheme: 'newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
    { scheme: 'basic', params: { realm: 'simple' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm = "a b" , charset = UTF-8')[0]?.params, {
    realm: 'a b',
    charset: 'UTF-8',
  });
});

test('quoted strings may hold commas, equals signs and backslashes', () => {
  const [c] = parseChallenges(
    'Bearer realm="http://h/t?a=1,b=2",scope="repository:a:pull,push repository:b:pull",x="back\\\\slash"',
  );
  assert.deepEqual(c?.params, {
    realm: 'http://h/t?a=1,b=2',
    scope: 'repository:a:pull,push repository:b:pull',
    x: 'back\\slash',
  });
});

test('token68, bare schemes, empty elements, duplicates and junk', () => {
  assert.deepEqual(parseChallenges('Negotiate abc+/def==, Basic realm="x"'), [
    { scheme: 'negotiate', params: {}, token68: 'abc+/def==' },
    { scheme: 'basic', params: { realm: 'x' } },
  ]);
  assert.deepEqual(parseChallenges(' , ,Negotiate,, Basic realm="x",'), [
    { scheme: 'negotiate', params: {} },
    { scheme: 'basic', params: { realm: 'x' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="first", realm="second"')[0]?.params, {
    realm: 'first',
  });
  assert.deepEqual(parseChallenges('Basic realm="unterminated')[0]?.params, {
    realm: 'unterminated',
  });
  assert.deepEqual(parseChallenges('"junk", Basic realm=x'), [
    { scheme: 'basic', params: { realm: 'x' } },
  ]);
  assert.deepEqual(parseChallenges(''), []);
  assert.deepEqual(parseChallenges('Basic realm=""')[0]?.params, { realm: '' });
});

test('the Bearer view splits space-separated scopes and keeps the error', () => {
  const [c] = parseChallenges(
    'Bearer realm="http://t/token",service="svc",scope="repository:dst:pull,push repository:src:pull",error="insufficient_scope"',
  );
  assert.deepEqual(bearerChallenge(c!), {
    realm: 'http://t/token',
    service: 'svc',
    error: 'insufficient_scope',
    scopes: [
      { type: 'repository', name: 'dst', actions: ['pull', 'push'] },
      { type: 'repository', name: 'src', actions: ['pull'] },
    ],
  });
  assert.equal(bearerChallenge(parseChallenges('Basic realm="x"')[0]!), undefined);
  assert.equal(bearerChallenge(parseChallenges('Bearer service="x"')[0]!), undefined);
});

test('scopes: format, parse (names with colons), merge into a canonical set', () => {
  assert.equal(
    formatScope(repositoryScope('library/x', ['pull', 'push'])),
    'repository:library/x:pull,push',
  );
  assert.deepEqual(parseScope('repository:host:5000/a:pull'), {
    type: 'repository',
    name: 'host:5000/a',
    actions: ['pull'],
  });
  assert.equal(parseScope('nonsense'), undefined);
  assert.deepEqual(
    mergeScopes([
      repositoryScope('b', ['push', 'pull']),
      repositoryScope('a', ['pull']),
      repositoryScope('b', ['delete']),
      repositoryScope('c', []),
    ]).map(formatScope),
    ['repository:a:pull', 'repository:b:delete,pull,push'],
  );
});
