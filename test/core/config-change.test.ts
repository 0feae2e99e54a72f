// `--change` instructions: Docker 20.10's BuildFromConfig results (read from moby's
// builder/dockerfile and buildkit's parser) for valid instructions, `shale:`-style errors
// (ERR_INVALID_ARGUMENT with Docker's message) for invalid ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyChanges,
  emptyContainerConfig,
  ShaleError,
  toContainerConfig,
} from '../../src/core/index.ts';

const apply = (...changes: string[]) => applyChanges(emptyContainerConfig(), changes);

test('ENV and LABEL: name=value pairs and the legacy form, expanded against the env so far', () => {
  const c = apply('ENV A=1 B="two words" C=a\\ b', 'env D $A-x', 'LABEL z=1 a="$B" e=${Q:-dflt}');
  assert.deepEqual(c.Env, ['A=1', 'B=two words', 'C=a b', 'D=1-x']);
  assert.deepEqual(Object.entries(c.Labels!), [
    ['a', 'two words'],
    ['e', 'dflt'],
    ['z', '1'],
  ]);
  // a later ENV replaces the same name in place; `$A` in one ENV sees the env before it
  assert.deepEqual(apply('ENV A=1', 'ENV A=2 B=$A').Env, ['A=2', 'B=1']);
});

test('CMD and ENTRYPOINT: JSON and shell forms; ENTRYPOINT clears a CMD set before these changes', () => {
  assert.deepEqual(apply('CMD ["a", "b c"]').Cmd, ['a', 'b c']);
  assert.deepEqual(apply('CMD echo $HOME  hi').Cmd, ['/bin/sh', '-c', 'echo $HOME  hi']);
  assert.deepEqual(apply('CMD ["unterminated"').Cmd, ['/bin/sh', '-c', '["unterminated"']);
  const base = toContainerConfig({ Cmd: ['old'], Shell: ['/bin/bash', '-o', 'pipefail', '-c'] });
  const e = applyChanges(base, ['ENTRYPOINT run it']);
  assert.deepEqual(e.Entrypoint, ['/bin/bash', '-o', 'pipefail', '-c', 'run it']);
  assert.equal(e.Cmd, null);
  const kept = applyChanges(base, ['CMD ["x"]', 'ENTRYPOINT ["/e"]']);
  assert.deepEqual([kept.Cmd, kept.Entrypoint], [['x'], ['/e']]);
  assert.equal(apply('ENTRYPOINT []').Entrypoint, null);
});

test('EXPOSE, VOLUME, USER, WORKDIR, ONBUILD, HEALTHCHECK', () => {
  const c = apply(
    'EXPOSE 80 53/UDP 8000-8001 127.0.0.1:9000:90',
    'VOLUME ["/data"]',
    'VOLUME /a /b',
    'USER ${U:-app}:1',
    'WORKDIR /srv',
    'WORKDIR app/../x',
    'ONBUILD run echo hi',
    'HEALTHCHECK --interval=1m30s --start-period=500ms --retries=3 CMD ["true"]',
  );
  assert.deepEqual(Object.keys(c.ExposedPorts!), [
    '53/udp',
    '80/tcp',
    '8000/tcp',
    '8001/tcp',
    '90/tcp',
  ]);
  assert.deepEqual(Object.keys(c.Volumes!), ['/a', '/b', '/data']);
  assert.equal(c.User, 'app:1');
  assert.equal(c.WorkingDir, '/srv/x');
  assert.deepEqual(c.OnBuild, ['run echo hi']);
  assert.deepEqual(c.Healthcheck, {
    Test: ['CMD', 'true'],
    Interval: 90e9,
    StartPeriod: 500e6,
    Retries: 3,
  });
  assert.deepEqual(apply('HEALTHCHECK NONE').Healthcheck, { Test: ['NONE'] });
  assert.deepEqual(apply('HEALTHCHECK CMD curl -f x').Healthcheck, {
    Test: ['CMD-SHELL', 'curl -f x'],
  });
});

test('continuations and comments: the changes are read as one Dockerfile', () => {
  const c = apply('# a comment', 'ENV A=1 \\', '  B=2');
  assert.deepEqual(c.Env, ['A=1', 'B=2']);
});

test("the input config is left as it was; the result has Docker's shape", () => {
  const base = emptyContainerConfig();
  const c = applyChanges(base, ['ENV A=1']);
  assert.equal(base.Env, null);
  assert.deepEqual(Object.keys(c), Object.keys(base));
});

test("invalid changes are ERR_INVALID_ARGUMENT with Docker's message", () => {
  const cases: [string, RegExp][] = [
    ['RUN make', /run is not a valid change command/],
    ['FROM x', /from is not a valid change command/],
    ['STOPSIGNAL 9', /stopsignal is not a valid change command/],
    ['ENV A', /ENV must have two arguments/],
    ['ENV A=1 B', /can't find = in "B"/],
    ['LABEL', /LABEL requires at least one argument/],
    ['CMD ["a", 1]', /arrays must be comprised of strings only/],
    ['EXPOSE http', /Invalid containerPort: http/],
    ['EXPOSE 80/icmp', /Invalid proto: icmp/],
    ['EXPOSE 70000', /Invalid containerPort: 70000/],
    ['USER', /USER requires exactly one argument/],
    ['WORKDIR', /WORKDIR requires exactly one argument/],
    ['VOLUME ""', /VOLUME specified can not be an empty string/],
    ['ONBUILD ONBUILD RUN x', /Chaining ONBUILD/],
    ['ONBUILD FROM x', /FROM isn't allowed as an ONBUILD trigger/],
    ['HEALTHCHECK --interval=0s CMD x', /Interval "interval" cannot be less than 1ms/],
    ['HEALTHCHECK --interval=5 CMD x', /missing unit in duration "5"/],
    ['HEALTHCHECK --retries=0 CMD x', /--retries must be at least 1/],
    ['HEALTHCHECK --bogus=1 CMD x', /Unknown flag: bogus/],
    ['HEALTHCHECK WGET x', /Unknown type "WGET" in HEALTHCHECK/],
    ['HEALTHCHECK CMD', /Missing command after HEALTHCHECK CMD/],
    ['ENV --x=1 A=1', /Unknown flag: x/],
    ['ENV A=${B:?unset}', /B: unset/],
    ['ENV A="open', /unexpected end of statement while looking for matching double-quote/],
    ['', /file with no instructions/],
  ];
  for (const [change, message] of cases) {
    assert.throws(
      () => apply(change),
      (err: unknown) =>
        err instanceof ShaleError &&
        err.code === 'ERR_INVALID_ARGUMENT' &&
        /^invalid --change: /.test(err.message) &&
        message.test(err.message),
      change,
    );
  }
});
