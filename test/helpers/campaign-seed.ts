/**
 * The seed and size of a campaign run: `$SHALE_CAMPAIGN_SEED` (`random` for a fresh one each run,
 * to explore; unset, DEFAULT_SEED, so that `npm test` replays the same schedule every time),
 * `$SHALE_CAMPAIGN_ROUNDS` (a multiplier of the default number of kills and rounds), and the line
 * that tells how to replay a failure.
 */
import { randomInt } from 'node:crypto';
import { Rng } from '../../support/fixtures/prng.ts';

export { Rng };

export interface Campaign {
  seed: number;
  rng: Rng;
  /** Multiplier of the default number of kills / rounds (at least 1). */
  scale: number;
  /** How to run this test file again with the same schedule. */
  replay(testFile: string, extra?: Record<string, string | number>): string;
}

function envInteger(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text)) throw new Error(`$${name} must be a non-negative integer, not ${text}`);
  return Number(text);
}

/** The schedule `npm test` runs. */
const DEFAULT_SEED = 1234;

export function startCampaign(): Campaign {
  const seed =
    process.env.SHALE_CAMPAIGN_SEED === 'random'
      ? randomInt(1, 2 ** 31)
      : (envInteger('SHALE_CAMPAIGN_SEED') ?? DEFAULT_SEED);
  const scale = Math.max(1, envInteger('SHALE_CAMPAIGN_ROUNDS') ?? 1);
  return {
    seed,
    rng: new Rng(seed),
    scale,
    replay: (testFile, extra = {}) => {
      const vars = { SHALE_CAMPAIGN_SEED: seed, SHALE_CAMPAIGN_ROUNDS: scale, ...extra };
      const env = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
      return `replay: npm run build && ${env.join(' ')} node --import tsx --test ${testFile}`;
    },
  };
}

/** Each fault on its own line, then the seed and the replay line. */
export function faultReport(campaign: Campaign, faults: string[], replay: string): string {
  return [
    `${faults.length} fault(s) (seed ${campaign.seed}):`,
    ...faults.map((f) => `- ${f}`),
    replay,
  ].join('\n');
}
