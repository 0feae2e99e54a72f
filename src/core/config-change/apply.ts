/**
 * Applying `--change` instructions to a container config, as Docker's BuildFromConfig does for
 * `docker commit --change` and `docker import --change` on Linux: each instruction in turn, its
 * words expanded against the environment so far. The input config is not modified.
 */
import { toContainerConfig, type ContainerConfig, type HealthConfig } from '../container-config.ts';
import { ShaleError } from '../errors.ts';
import { expandWord, expandWords } from './expand.ts';
import { parseChanges, type Instruction } from './parse.ts';
import { exposedPorts } from './ports.ts';
import { parseGoDuration } from './duration.ts';

const DEFAULT_SHELL = ['/bin/sh', '-c'];
/** Docker's container.MinimumDuration: 1 ms, in nanoseconds. */
const MINIMUM_DURATION = 1_000_000;

interface State {
  config: ContainerConfig;
  /** A CMD with arguments came earlier in these changes (an ENTRYPOINT then keeps it). */
  cmdSet: boolean;
}

/** Flags are not accepted except where an instruction defines them (HEALTHCHECK). */
function parseFlags(instruction: Instruction, known: readonly string[] = []): Map<string, string> {
  const values = new Map<string, string>();
  for (const arg of instruction.flags) {
    if (!arg.startsWith('--')) throw new Error(`Arg should start with -- : ${arg}`);
    if (arg === '--') break;
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (!known.includes(name)) throw new Error(`Unknown flag: ${name}`);
    if (values.has(name)) throw new Error(`Duplicate flag specified: ${name}`);
    if (eq < 0) throw new Error(`Missing a value on flag: ${name}`);
    values.set(name, arg.slice(eq + 1));
  }
  return values;
}

function pairs(instruction: Instruction, env: readonly string[]): [string, string][] {
  const name = instruction.name.toUpperCase();
  parseFlags(instruction);
  if (instruction.args.length === 0) throw new Error(`${name} requires at least one argument`);
  const result: [string, string][] = [];
  for (let i = 0; i < instruction.args.length; i += 2) {
    if (instruction.args[i] === '') throw new Error(`${name} names can not be blank`);
    result.push([expandWord(instruction.args[i]!, env), expandWord(instruction.args[i + 1]!, env)]);
  }
  return result;
}

function oneArgument(instruction: Instruction, env: readonly string[]): string {
  if (instruction.args.length !== 1)
    throw new Error(`${instruction.name.toUpperCase()} requires exactly one argument`);
  parseFlags(instruction);
  return expandWord(instruction.args[0]!, env);
}

/** CMD / ENTRYPOINT: exec form as given, shell form run by the config's shell. */
function commandLine(instruction: Instruction, config: ContainerConfig): string[] {
  parseFlags(instruction);
  const args = instruction.json ? instruction.args : [instruction.args.join(' ')].filter(Boolean);
  if (instruction.json) return [...args];
  return [...(config.Shell?.length ? config.Shell : DEFAULT_SHELL), ...args];
}

function interval(flags: Map<string, string>, name: string): number | undefined {
  const text = flags.get(name);
  if (!text) return undefined;
  const nanos = parseGoDuration(text);
  if (nanos < MINIMUM_DURATION)
    throw new Error(`Interval ${JSON.stringify(name)} cannot be less than 1ms`);
  return nanos;
}

function healthcheck(instruction: Instruction): HealthConfig {
  if (instruction.args.length === 0) throw new Error('HEALTHCHECK requires at least one argument');
  const type = instruction.args[0]!.toUpperCase();
  const args = instruction.args.slice(1);
  if (type === 'NONE') {
    if (args.length !== 0) throw new Error('HEALTHCHECK NONE takes no arguments');
    return { Test: ['NONE'] };
  }
  const flags = parseFlags(instruction, ['interval', 'timeout', 'start-period', 'retries']);
  if (type !== 'CMD')
    throw new Error(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`);
  const command = instruction.json ? args : [args.join(' ')].filter(Boolean);
  if (command.length === 0) throw new Error('Missing command after HEALTHCHECK CMD');
  const health: HealthConfig = { Test: [instruction.json ? 'CMD' : 'CMD-SHELL', ...command] };
  const durations = [
    ['Interval', 'interval'],
    ['Timeout', 'timeout'],
    ['StartPeriod', 'start-period'],
  ] as const;
  for (const [key, flag] of durations) {
    const nanos = interval(flags, flag);
    if (nanos) health[key] = nanos;
  }
  const retries = flags.get('retries');
  if (retries) {
    if (!/^[+-]?\d+$/.test(retries) || Math.abs(Number(retries)) > 2 ** 31 - 1)
      throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(retries)}: invalid syntax`);
    if (Number(retries) < 1)
      throw new Error(`--retries must be at least 1 (not ${Number(retries)})`);
    health.Retries = Number(retries);
  }
  return health;
}

function onbuild(instruction: Instruction): string {
  if (instruction.args.length === 0) throw new Error('ONBUILD requires at least one argument');
  parseFlags(instruction);
  const trigger = instruction.args[0]!.trim().toUpperCase();
  if (trigger === 'ONBUILD')
    throw new Error("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger === 'MAINTAINER' || trigger === 'FROM')
    throw new Error(`${trigger} isn't allowed as an ONBUILD trigger`);
  return instruction.original.replace(/^\s*ONBUILD\s*/i, '');
}

function setEnv(config: ContainerConfig, key: string, value: string): void {
  const env = (config.Env ??= []);
  const entry = `${key}=${value}`;
  const at = env.findIndex((e) => e.split('=', 1)[0] === key);
  if (at >= 0) env[at] = entry;
  else env.push(entry);
}

function dispatch(state: State, instruction: Instruction): void {
  const { config } = state;
  const env = config.Env ?? [];
  switch (instruction.name) {
    case 'env':
      for (const [key, value] of pairs(instruction, env)) setEnv(config, key, value);
      return;
    case 'label':
      config.Labels ??= {};
      for (const [key, value] of pairs(instruction, env)) config.Labels[key] = value;
      return;
    case 'user':
      config.User = oneArgument(instruction, env);
      return;
    case 'workdir': {
      const requested = oneArgument(instruction, env);
      if (requested === '') throw new Error('cannot normalize nothing');
      config.WorkingDir = requested.startsWith('/')
        ? requested
        : cleanPath(`/${config.WorkingDir}/${requested}`);
      return;
    }
    case 'volume': {
      if (instruction.args.length === 0) throw new Error('VOLUME requires at least one argument');
      parseFlags(instruction);
      config.Volumes ??= {};
      for (const raw of instruction.args) {
        if (raw.trim() === '') throw new Error('VOLUME specified can not be an empty string');
        const volume = expandWord(raw.trim(), env);
        if (volume === '') throw new Error('VOLUME specified can not be an empty string');
        config.Volumes[volume] = {};
      }
      return;
    }
    case 'expose': {
      if (instruction.args.length === 0) throw new Error('EXPOSE requires at least one argument');
      parseFlags(instruction);
      const ports = instruction.args.flatMap((p) => expandWords(p, env));
      config.ExposedPorts ??= {};
      for (const port of exposedPorts(ports)) config.ExposedPorts[port] = {};
      return;
    }
    case 'cmd':
      config.Cmd = commandLine(instruction, config);
      delete config.ArgsEscaped;
      if (instruction.args.length > 0) state.cmdSet = true;
      return;
    case 'entrypoint': {
      const entrypoint = commandLine(instruction, config);
      config.Entrypoint = instruction.args.length === 0 ? null : entrypoint;
      delete config.ArgsEscaped;
      if (!state.cmdSet) config.Cmd = null;
      return;
    }
    case 'healthcheck':
      config.Healthcheck = healthcheck(instruction);
      return;
    case 'onbuild':
      (config.OnBuild ??= []).push(onbuild(instruction));
      return;
  }
}

/** Go's filepath.Clean of an absolute path: `.` and `..` resolved, slashes collapsed. */
function cleanPath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

function invalid(message: string): ShaleError {
  return new ShaleError('ERR_INVALID_ARGUMENT', `invalid --change: ${message}`);
}

/**
 * `config` with `changes` (Dockerfile instructions) applied; throws ERR_INVALID_ARGUMENT with
 * Docker's message (after the instruction it concerns) when one is invalid.
 */
export function applyChanges(config: ContainerConfig, changes: readonly string[]): ContainerConfig {
  if (changes.length === 0) return config;
  let instructions: Instruction[];
  try {
    instructions = parseChanges(changes);
  } catch (err) {
    throw invalid((err as Error).message);
  }
  const state: State = { config: structuredClone(config), cmdSet: false };
  for (const instruction of instructions) {
    try {
      dispatch(state, instruction);
    } catch (err) {
      throw invalid(`${instruction.original.trim()}: ${(err as Error).message}`);
    }
  }
  return toContainerConfig(state.config);
}
