// Which images a listing shows (moby 20.10 daemon/images/images.go rules), on hand-made image
// descriptions: a base with two tags, an untagged intermediate (a parent), a labelled app built
// on it, a dangling image, an image known only by digest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isShaleError } from '../../src/core/errors.ts';
import { parseImageFilters, selectImages, type ImageInspect } from '../../src/present/index.ts';

function image(
  n: number,
  fields: { tags?: string[]; digests?: string[]; parent?: number; labels?: object },
): ImageInspect {
  return {
    Id: `sha256:${String(n).repeat(64).slice(0, 64)}`,
    RepoTags: fields.tags ?? [],
    RepoDigests: fields.digests ?? [],
    Parent:
      fields.parent === undefined ? '' : `sha256:${String(fields.parent).repeat(64).slice(0, 64)}`,
    Created: `2026-01-01T00:00:0${n}.${n}00000001Z`,
    Config: fields.labels ? { Labels: fields.labels } : {},
    Architecture: 'amd64',
    Os: 'linux',
    RootFS: { Type: 'layers', Layers: [] },
    Size: 0,
    LegacyIds: [],
  } as unknown as ImageInspect; // the fields a listing reads
}

const base = image(1, { tags: ['peers/base:1', 'example.com/mirror/base:v1'] });
const intermediate = image(2, { parent: 1, labels: { tier: 'web' } });
const app = image(3, { tags: ['peers/app:1'], parent: 2, labels: { tier: 'web', role: 'app' } });
const dangling = image(4, { parent: 1, labels: { tier: 'db' } });
const digested = image(5, { digests: ['peers/pulled@sha256:' + 'a'.repeat(64)] });
const all = [base, intermediate, app, dangling, digested];

const ids = (images: ImageInspect[]) => images.map((i) => Number(i.Id.slice(7, 8)));
const select = (pairs: [string, string][], extra = {}) =>
  ids(selectImages(all, { filters: parseImageFilters(pairs), ...extra }));

test('untagged parents are hidden unless all', () => {
  assert.deepEqual(ids(selectImages(all)), [1, 3, 4, 5]);
  assert.deepEqual(ids(selectImages(all, { all: true })), [1, 2, 3, 4, 5]);
});

test('dangling=true: untagged images that are nobody parent; false: images with references', () => {
  assert.deepEqual(select([['dangling', 'true']]), [4, 5]); // a digest-only image is kept, as moby
  assert.deepEqual(select([['dangling', 'true']], { all: true }), [4, 5]);
  assert.deepEqual(select([['dangling', 'false']], { all: true }), [1, 3, 5]);
  assert.deepEqual(
    select([
      ['dangling', 'false'],
      ['dangling', 'true'],
    ]),
    [4, 5],
  );
});

test('reference globs keep the matching references only', () => {
  const shown = selectImages(all, { filters: parseImageFilters([['reference', 'peers/*']]) });
  assert.deepEqual(ids(shown), [1, 3, 5]);
  assert.deepEqual(shown[0]!.RepoTags, ['peers/base:1']);
  assert.deepEqual(select([['reference', '*/base']]), [1]);
  assert.deepEqual(select([['reference', 'example.com/*/base:v?']]), [1]);
  assert.deepEqual(
    select([
      ['reference', 'peers/app:1'],
      ['reference', 'nothing'],
    ]),
    [3],
  );
  assert.throws(
    () => select([['reference', '[']]),
    (err) => isShaleError(err, 'ERR_INVALID_ARGUMENT'),
  );
});

test('label filters: a key, or key=value, all of them', () => {
  assert.deepEqual(select([['label', 'tier']]), [3, 4]);
  assert.deepEqual(select([['label', 'tier']], { all: true }), [2, 3, 4]);
  assert.deepEqual(
    select([
      ['label', 'tier=web'],
      ['label', 'role'],
    ]),
    [3],
  );
  assert.deepEqual(select([['label', 'tier=']]), []);
});

test('before/since compare creation times strictly, at full precision', () => {
  assert.deepEqual(ids(selectImages(all, { before: [app] })), [1]); // 2 is a hidden parent
  assert.deepEqual(ids(selectImages(all, { since: [base] })), [3, 4, 5]);
  assert.deepEqual(ids(selectImages(all, { since: [base], before: [digested] })), [3, 4]);
});

test('filter names and dangling values are checked', () => {
  const refused = (pairs: [string, string][]) =>
    assert.throws(
      () => parseImageFilters(pairs),
      (err) => isShaleError(err, 'ERR_INVALID_ARGUMENT'),
    );
  refused([['bogus', 'x']]);
  refused([['dangling', 'yes']]);
  assert.deepEqual(
    parseImageFilters([
      ['label', 'a'],
      ['label', 'b=c'],
      ['before', 'x'],
    ]),
    {
      label: ['a', 'b=c'],
      before: ['x'],
    },
  );
});
