/**
 * Scaling: shale's `pull` and `unpack` of the `large` shape at 1x, 2x and 4x its size and file
 * count (time and peak RSS), to show that cost grows linearly and memory stays flat. A scale is
 * skipped, with the reason, when the disk or the work file system has too little room.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { pullCase } from '../cases/registry.ts';
import { unpackCase } from '../cases/unpack.ts';
import { defaultDataDir, ensureFixture, loadFixture } from '../../support/fixtures/image.ts';
import { resolveFixture, type Overrides, type PresetName } from '../../support/fixtures/presets.ts';
import { runOnce } from './alternate.ts';
import { prepareImage, type ImageTools } from './image.ts';
import type { Meter } from './measure.ts';
import type { Side } from './side.ts';
import { median } from './stats.ts';
import type { ScalingPoint } from './table.ts';
import { freeBytes } from './workdir.ts';

export const SCALES = [1, 2, 4];

export interface ScalingOptions {
  base: PresetName;
  /** The base's overrides (the quick mode's reduced size). */
  overrides: Overrides;
  work: string;
  meter: Meter;
  warmup: number;
  runs: number;
  tools: ImageTools;
}

/** Bytes a scale needs: on the data disk (tars + blobs + registry copy), in the work dir (store, pulled store, tree). */
function roomNeeded(contentBytes: number) {
  return { disk: 2.2 * contentBytes, work: 2.2 * contentBytes };
}

async function timeSide(meter: Meter, side: Side, warmup: number, runs: number) {
  const walls: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const samples = await runOnce(meter, side);
    if (i < warmup) continue;
    walls.push(samples.reduce((s, x) => s + x.wallSeconds, 0));
    rss.push(Math.max(...samples.map((x) => x.maxRssKiB)));
  }
  return {
    seconds: Math.round(median(walls) * 1000) / 1000,
    peakRssMiB: Math.round(Math.max(...rss) / 102.4) / 10,
  };
}

export async function runScaling(
  o: ScalingOptions,
): Promise<{ points: ScalingPoint[]; skipped?: string }> {
  const points: ScalingPoint[] = [];
  const skips: string[] = [];
  const { services, log } = o.tools;
  for (const scale of SCALES) {
    const one = resolveFixture(o.base, o.overrides).params;
    const { name, params } = resolveFixture(o.base, {
      ...o.overrides,
      files: one.files * scale,
      bytes: one.bytes * scale,
    });
    const dataDir = defaultDataDir(name);
    const cached = await loadFixture(dataDir, params, true);
    const need = roomNeeded(params.bytes);
    const diskFree = freeBytes(path.dirname(dataDir));
    const workFree = freeBytes(o.work);
    if ((!cached && diskFree < need.disk) || workFree < need.work) {
      const why = `${scale}x needs ~${(need.disk / 1e9).toFixed(1)} GB on the disk and ~${(need.work / 1e9).toFixed(1)} GB in ${o.work}; free: ${(diskFree / 1e9).toFixed(1)} GB and ${(workFree / 1e9).toFixed(1)} GB`;
      log(`scaling: skipping ${why}`);
      skips.push(why);
      continue;
    }
    const fixture = await ensureFixture({ dir: dataDir, name, params, oci: true });
    const image = await prepareImage(fixture, o.work, { ...o.tools, archive: false });
    const point: ScalingPoint = {
      scale,
      fixture: name,
      files: params.files,
      tarBytes: image.tarBytes,
      gzBytes: image.gzBytes,
      ops: {},
    };
    const pull = pullCase(image, services);
    const sides: [string, Side | undefined][] = [
      ['pull', 'shale' in pull ? pull.shale : undefined],
      ['unpack', unpackCase(image).shale],
    ];
    for (const [op, side] of sides) {
      if (!side) continue;
      try {
        point.ops[op] = await timeSide(o.meter, side, o.warmup, o.runs);
        log(`scaling ${scale}x ${op}: ${JSON.stringify(point.ops[op])}`);
      } catch (err) {
        point.ops[op] = { error: err instanceof Error ? err.message : String(err) };
      }
    }
    points.push(point);
    rmSync(image.work, { recursive: true, force: true });
  }
  return { points, skipped: skips.length ? skips.join('; ') : undefined };
}
