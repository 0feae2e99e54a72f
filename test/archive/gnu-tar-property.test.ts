// Property tests of the tar codec against GNU tar, both ways, on random file trees:
//  (a) GNU tar archives a tree on disk (pax with xattrs, and gnu); shale's reader must report every
//      entry as the file system has it (lstat, readlink, content, device numbers, getfattr).
//  (b) shale's TarWriter writes a random entry list; GNU tar must list and extract it, and the
//      extracted tree must match the list; shale's reader must read back exactly what was written.
// Names are byte strings throughout (non-UTF-8 names included) and reach the file system as
// Buffers. Devices and random owners need root; without root the test names say they are left out.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import {
  readTar,
  TypeFlag,
  type TarDialect,
  type TarHeader,
  type TarHeaderInit,
} from '../../src/archive/tar/index.ts';
import { isShaleError } from '../../src/core/errors.ts';
import {
  devNumbers,
  describeTree,
  floorDiv,
  IS_ROOT,
  materialize,
  MTIME_TOLERANCE_NS,
  probeMaxTime,
  readXattrs,
  removeTree,
  requireTools,
  runQuiet,
  sha256,
  treeArb,
  under,
  walk,
  xattrsToObject,
  exampleTree,
  type Kind,
  type TreeNode,
  type TreeOptions,
  type XattrMap,
} from '../helpers/gnu-tar-tree.ts';
import { tarBytes } from '../../support/tar-bytes.ts';

const RUNS_PER_DIRECTION = 30;
const NOT_ROOT = IS_ROOT
  ? ''
  : ' [not root: no devices, no foreign owners, no modes without owner access]';
const LOCALES = ['C', 'C.UTF-8'] as const;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'shale-gnu-tar-'));
after(() => removeTree(work));

const TYPEFLAG: Record<Kind, string> = {
  file: TypeFlag.regular,
  dir: TypeFlag.directory,
  symlink: TypeFlag.symlink,
  hardlink: TypeFlag.hardLink,
  fifo: TypeFlag.fifo,
  char: TypeFlag.charDevice,
  block: TypeFlag.blockDevice,
};

interface ReadEntry {
  header: TarHeader;
  body: Buffer;
}

async function readEntries(
  source: AsyncIterable<Uint8Array>,
  dialect: TarDialect,
): Promise<ReadEntry[]> {
  const out: ReadEntry[] = [];
  for await (const entry of readTar(source, { dialect })) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry.body) chunks.push(Buffer.from(chunk));
    out.push({ header: entry.header, body: Buffer.concat(chunks) });
  }
  return out;
}

/** Header fields as plain data (sub-second time folded in; -0 and 0 are the same time). */
function headerView(h: TarHeader) {
  return {
    name: h.name,
    typeflag: h.typeflag,
    mode: h.mode,
    uid: h.uid,
    gid: h.gid,
    size: h.size,
    mtime: h.mtime + 0,
    mtimeNsec: (h.mtimeNsec ?? 0) + 0,
    linkname: h.linkname,
    uname: h.uname,
    gname: h.gname,
    devmajor: h.devmajor,
    devminor: h.devminor,
    xattrs: xattrsToObject(h.xattrs),
  };
}

function userXattrs(map: XattrMap | undefined): XattrMap {
  return new Map([...(map ?? new Map<string, Buffer>())].filter(([k]) => k.startsWith('user.')));
}

function countLines(listing: Buffer): number {
  const text = listing.toString('latin1');
  return text === '' ? 0 : text.replace(/\n$/, '').split('\n').length;
}

const localeEnv = (locale: string) => ({ ...process.env, LC_ALL: locale });

// ---------------------------------------------------------------------------------------------
// (a) GNU tar → shale's reader

/** GNU tar's SCHILY.xattr key for an attribute name (xattrs.c: xattr_encode_keyword). */
const gnuXattrKey = (name: string) => name.replace(/%/g, '%25').replace(/=/g, '%3D');

function expectedFromDisk(
  format: 'pax' | 'gnu',
  root: string,
  rel: string,
  st: fs.BigIntStats,
  xattrs: XattrMap | undefined,
  firstByInode: Map<bigint, string>,
) {
  const p = under(root, rel);
  let typeflag: string;
  let size = 0;
  let linkname = '';
  let dev = { major: 0, minor: 0 };
  let content = Buffer.alloc(0);
  if (st.isFile()) {
    const first = firstByInode.get(st.ino);
    if (first === undefined) {
      firstByInode.set(st.ino, rel);
      typeflag = TypeFlag.regular;
      content = fs.readFileSync(p);
      size = content.length;
    } else {
      typeflag = TypeFlag.hardLink;
      linkname = `./${first}`;
    }
  } else if (st.isDirectory()) typeflag = TypeFlag.directory;
  else if (st.isSymbolicLink()) {
    typeflag = TypeFlag.symlink;
    linkname = fs.readlinkSync(p, { encoding: 'buffer' }).toString('latin1');
  } else if (st.isFIFO()) typeflag = TypeFlag.fifo;
  else if (st.isCharacterDevice() || st.isBlockDevice()) {
    typeflag = st.isCharacterDevice() ? TypeFlag.charDevice : TypeFlag.blockDevice;
    dev = devNumbers(st.rdev);
  } else throw new Error(`unexpected file type on disk: ${JSON.stringify(rel)}`);
  const archivedXattrs =
    format === 'pax' && typeflag !== TypeFlag.hardLink
      ? new Map([...(xattrs ?? new Map<string, Buffer>())].map(([k, v]) => [gnuXattrKey(k), v]))
      : new Map<string, Buffer>();
  return {
    name: rel === '' ? './' : `./${rel}${typeflag === TypeFlag.directory ? '/' : ''}`,
    typeflag,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    uname: '',
    gname: '',
    size,
    // PAX keeps nanoseconds; the gnu format whole seconds, rounded down (base-256 when negative).
    mtime:
      format === 'pax' ? st.mtimeNs.toString() : floorDiv(st.mtimeNs, 1_000_000_000n).toString(),
    linkname,
    devmajor: dev.major,
    devminor: dev.minor,
    xattrs: xattrsToObject(archivedXattrs),
    content: sha256(content),
  };
}

/** The random trees of both directions: devices and owners only as root, 14 nodes at most. */
function treeOptions(work: string, xattrNames: TreeOptions['xattrNames']): TreeOptions {
  requireTools();
  return {
    devices: IS_ROOT,
    owners: IS_ROOT,
    xattrNames,
    maxTime: probeMaxTime(work),
    maxNodes: 14,
  };
}

function actualView(format: 'pax' | 'gnu', { header: h, body }: ReadEntry) {
  return {
    name: h.name,
    typeflag: h.typeflag,
    mode: h.mode,
    uid: h.uid,
    gid: h.gid,
    uname: h.uname,
    gname: h.gname,
    size: h.size,
    mtime:
      format === 'pax'
        ? (BigInt(h.mtime) * 1_000_000_000n + BigInt(h.mtimeNsec ?? 0)).toString()
        : h.mtimeNsec === undefined
          ? String(h.mtime)
          : `unexpected sub-second time ${h.mtimeNsec}`,
    linkname: h.linkname,
    devmajor: h.devmajor,
    devminor: h.devminor,
    xattrs: xattrsToObject(h.xattrs),
    content: sha256(body),
  };
}

function checkAgainstDisk(format: 'pax' | 'gnu', root: string, entries: ReadEntry[]): void {
  const disk = walk(root);
  const xattrs = readXattrs(root);
  const firstByInode = new Map<bigint, string>();
  const seen = new Set<string>();
  for (const entry of entries) {
    const { header: h } = entry;
    const where = `${format} archive, entry ${JSON.stringify(h.name)}`;
    assert.ok(h.name.startsWith('./'), `${where}: GNU tar names start with ./`);
    const rel = h.name.slice(2).replace(/\/$/, '');
    assert.ok(!seen.has(rel), `${where}: listed twice`);
    seen.add(rel);
    const st = rel === '' ? fs.lstatSync(root, { bigint: true }) : disk.get(rel);
    assert.ok(st, `${where}: no such file on disk`);
    assert.deepEqual(
      actualView(format, entry),
      expectedFromDisk(format, root, rel, st, xattrs.get(rel), firstByInode),
      where,
    );
    assert.ok(
      format === 'gnu' ? h.format === 'gnu' : h.format === 'pax' || h.format === 'ustar',
      `${where}: format ${h.format}`,
    );
  }
  assert.deepEqual(
    [...seen].sort(),
    ['', ...disk.keys()].sort(),
    `${format} archive: entries vs files on disk`,
  );
}

test(`GNU tar → readTar: random trees archived as pax (with xattrs) and gnu match lstat${NOT_ROOT}`, async () => {
  const options = treeOptions(work, 'disk');
  const trees = treeArb(options);
  await fc.assert(
    fc.asyncProperty(
      trees,
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.constantFrom(...LOCALES),
      fc.constantFrom(100, 512, 4096, 65536),
      async (nodes, rootTime, locale, chunkSize) => {
        const dir = fs.mkdtempSync(path.join(work, 'a-'));
        try {
          const root = path.join(dir, 'tree');
          const scratch = path.join(dir, 'scratch');
          fs.mkdirSync(root);
          fs.mkdirSync(scratch);
          materialize(root, scratch, nodes, rootTime);
          // The tree must be what the generator meant, or the oracle below proves little.
          const onDisk = readXattrs(root);
          const byPath = new Map(nodes.map((n) => [n.path, n]));
          for (const n of nodes) {
            const owner = n.kind === 'hardlink' ? byPath.get(n.target)! : n;
            const wanted = BigInt(owner.mtime) * 1_000_000_000n + BigInt(owner.mtimeNsec);
            const got = fs.lstatSync(under(root, n.path), { bigint: true }).mtimeNs;
            const off = got > wanted ? got - wanted : wanted - got;
            assert.ok(
              off < MTIME_TOLERANCE_NS,
              `tree setup: mtime of ${JSON.stringify(n.path)} is ${got}, not ${wanted}`,
            );
            assert.deepEqual(
              xattrsToObject(userXattrs(onDisk.get(n.path))),
              xattrsToObject(owner.xattrs),
              `tree setup: xattrs of ${JSON.stringify(n.path)}\n${describeTree(nodes)}`,
            );
          }
          for (const format of ['pax', 'gnu'] as const) {
            const archive = path.join(dir, `${format}.tar`);
            const formatOptions =
              format === 'pax'
                ? ['--format=pax', '--xattrs', '--xattrs-include=*']
                : ['--format=gnu'];
            const env = localeEnv(locale);
            runQuiet(
              'tar',
              [...formatOptions, '--numeric-owner', '-C', root, '-cf', archive, '.'],
              env,
            );
            const listed = countLines(runQuiet('tar', ['-tf', archive], env));
            const stream = () => fs.createReadStream(archive, { highWaterMark: chunkSize });
            const modern = await readEntries(stream(), 'modern');
            const old = await readEntries(stream(), 'go1.4');
            assert.equal(modern.length, listed, `${format}: entries read vs GNU tar -t`);
            assert.deepEqual(
              old.map((e) => ({ ...headerView(e.header), body: sha256(e.body) })),
              modern.map((e) => ({ ...headerView(e.header), body: sha256(e.body) })),
              `${format}: go1.4 and modern dialects agree`,
            );
            checkAgainstDisk(format, root, modern);
          }
        } finally {
          removeTree(dir);
        }
      },
    ),
    {
      numRuns: RUNS_PER_DIRECTION,
      includeErrorInReport: true,
      examples: [[exampleTree(options), 1_600_000_000, 'C', 512]],
    },
  );
});

// ---------------------------------------------------------------------------------------------
// (b) shale's TarWriter → GNU tar

interface WriteEntry {
  header: TarHeaderInit;
  body: Buffer;
}

function toEntry(n: TreeNode): WriteEntry {
  return {
    header: {
      name: n.path + (n.slash ? '/' : ''),
      typeflag: TYPEFLAG[n.kind],
      mode: n.mode,
      uid: n.uid,
      gid: n.gid,
      size: n.content.length,
      mtime: n.mtime,
      mtimeNsec: n.mtimeNsec,
      linkname: n.target,
      uname: n.uname,
      gname: n.gname,
      devmajor: n.major,
      devminor: n.minor,
      xattrs: n.xattrs,
    },
    body: n.content,
  };
}

function expectedHeaderView(e: WriteEntry) {
  const h = e.header;
  return {
    name: h.name,
    typeflag: h.typeflag!,
    mode: h.mode!,
    uid: h.uid!,
    gid: h.gid!,
    size: h.size!,
    mtime: h.mtime!,
    mtimeNsec: h.mtimeNsec!,
    linkname: h.linkname!,
    uname: h.uname!,
    gname: h.gname!,
    devmajor: h.devmajor!,
    devminor: h.devminor!,
    xattrs: xattrsToObject(h.xattrs),
  };
}

function checkExtracted(out: string, nodes: TreeNode[]): void {
  const disk = walk(out);
  const xattrs = readXattrs(out);
  assert.deepEqual([...disk.keys()].sort(), nodes.map((n) => n.path).sort(), 'extracted paths');
  for (const n of nodes) {
    const where = `extracted ${n.kind} ${JSON.stringify(n.path)}`;
    const st = disk.get(n.path)!;
    const p = under(out, n.path);
    const kindOnDisk: Kind | 'other' = st.isFile()
      ? 'file'
      : st.isDirectory()
        ? 'dir'
        : st.isSymbolicLink()
          ? 'symlink'
          : st.isFIFO()
            ? 'fifo'
            : st.isCharacterDevice()
              ? 'char'
              : st.isBlockDevice()
                ? 'block'
                : 'other';
    if (n.kind === 'hardlink') {
      assert.equal(kindOnDisk, 'file', where);
      assert.equal(
        st.ino,
        disk.get(n.target)!.ino,
        `${where}: same inode as ${JSON.stringify(n.target)}`,
      );
      continue;
    }
    const expectedXattrs =
      n.kind === 'file' || n.kind === 'dir' ? n.xattrs : new Map<string, Buffer>();
    assert.deepEqual(
      {
        kind: kindOnDisk,
        mode: n.kind === 'symlink' ? 0o777 : Number(st.mode & 0o7777n),
        uid: Number(st.uid),
        gid: Number(st.gid),
        mtimeNs: st.mtimeNs.toString(),
        content: n.kind === 'file' ? sha256(fs.readFileSync(p)) : '',
        target:
          n.kind === 'symlink' ? fs.readlinkSync(p, { encoding: 'buffer' }).toString('latin1') : '',
        dev: n.kind === 'char' || n.kind === 'block' ? devNumbers(st.rdev) : { major: 0, minor: 0 },
        xattrs: xattrsToObject(userXattrs(xattrs.get(n.path))),
      },
      {
        kind: n.kind,
        mode: n.mode,
        uid: n.uid,
        gid: n.gid,
        mtimeNs: (BigInt(n.mtime) * 1_000_000_000n + BigInt(n.mtimeNsec)).toString(),
        content: n.kind === 'file' ? sha256(n.content) : '',
        target: n.target,
        dev: { major: n.major, minor: n.minor },
        xattrs: xattrsToObject(expectedXattrs),
      },
      where,
    );
  }
}

test(`TarWriter → GNU tar: random entry lists list, extract and read back exactly${NOT_ROOT}`, async () => {
  const options = treeOptions(work, 'writer');
  const trees = treeArb(options);
  await fc.assert(
    fc.asyncProperty(
      trees,
      fc.constantFrom(...LOCALES),
      fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 8 }),
      async (nodes, locale, chunkSizes) => {
        const entries = nodes.map(toEntry);
        const archive = await tarBytes(entries);
        assert.equal(archive.length % 512, 0, 'archive length is whole blocks');

        // Our own reader, fed in uneven chunks, must give back exactly what was written.
        const chunked = () => {
          const pieces: Buffer[] = [];
          for (let pos = 0, i = 0; pos < archive.length; i++) {
            const n = chunkSizes[i % chunkSizes.length]!;
            pieces.push(archive.subarray(pos, pos + n));
            pos += n;
          }
          return Readable.from(pieces);
        };
        for (const dialect of ['modern', 'go1.4'] as const) {
          const back = await readEntries(chunked(), dialect);
          assert.deepEqual(
            back.map((e) => ({ ...headerView(e.header), body: e.body.toString('hex') })),
            entries.map((e) => ({ ...expectedHeaderView(e), body: e.body.toString('hex') })),
            `round trip (${dialect} dialect)`,
          );
        }

        const dir = fs.mkdtempSync(path.join(work, 'b-'));
        try {
          const file = path.join(dir, 'archive.tar');
          fs.writeFileSync(file, archive);
          const env = localeEnv(locale);
          const listing = runQuiet('tar', ['-tvf', file], env);
          assert.equal(countLines(listing), nodes.length, 'GNU tar -tv lists every entry');
          const out = path.join(dir, 'out');
          fs.mkdirSync(out);
          // Random mtimes lie in the future too; GNU tar warns about those (and only those) here.
          const extract = [
            '--xattrs',
            '--xattrs-include=*',
            '--numeric-owner',
            '--warning=no-timestamp',
          ];
          runQuiet('tar', [...extract, '-xpf', file, '-C', out], env);
          checkExtracted(out, nodes);
        } finally {
          removeTree(dir);
        }
      },
    ),
    {
      numRuns: RUNS_PER_DIRECTION,
      includeErrorInReport: true,
      examples: [[exampleTree(options), 'C.UTF-8', [7, 512, 1]]],
    },
  );
});

test('TarWriter refuses PAX records it cannot encode instead of writing a different archive', async () => {
  for (const name of ['user.a=b', 'user.=', '=user']) {
    await assert.rejects(
      tarBytes([
        {
          header: { name: 'f', xattrs: new Map([[name, Buffer.from('v')]]) },
          body: Buffer.alloc(0),
        },
      ]),
      (err) => isShaleError(err, 'ERR_INVALID_ARGUMENT'),
      `xattr name ${JSON.stringify(name)}`,
    );
  }
  // The same archive without the '=' reads back as written (the check above is not vacuous).
  const ok = await tarBytes([
    {
      header: { name: 'f', xattrs: new Map([['user.ab', Buffer.from('v')]]) },
      body: Buffer.alloc(0),
    },
  ]);
  const [entry] = await readEntries(Readable.from([ok]), 'modern');
  assert.deepEqual(xattrsToObject(entry!.header.xattrs), {
    'user.ab': Buffer.from('v').toString('hex'),
  });
  assert.equal(createHash('sha256').update(entry!.body).digest('hex'), sha256(Buffer.alloc(0)));
});
