/**
 * `shale login REGISTRY -u USER (-p PASS | --password-stdin)` and `shale logout REGISTRY`:
 * credentials checked against the registry, then kept where Docker keeps them (config.json or
 * its credential helper), so docker and shale share them.
 */
import type { Command } from 'commander';
import { ShaleError } from '../../core/index.ts';
import { clientOptions, withRegistryOptions, type RegistryFlags } from '../registry-flags.ts';

interface LoginFlags extends RegistryFlags {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
}

/** More than any password or token (an endless input such as /dev/zero is refused, not held). */
const MAX_PASSWORD_BYTES = 64 * 1024;

async function readStdinPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_PASSWORD_BYTES)
      throw new ShaleError('ERR_INVALID_ARGUMENT', 'the password on stdin is longer than 64 KiB');
    chunks.push(chunk as Buffer);
  }
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (password === '') throw new ShaleError('ERR_INVALID_ARGUMENT', 'no password on stdin');
  return password;
}

export function registerLogin(program: Command): void {
  const command = program
    .command('login')
    .description('log in to a registry (credentials verified, then stored as docker stores them)')
    .argument('<registry>', 'registry host, e.g. 127.0.0.1:5000 or docker.io')
    .option('-u, --username <user>', 'user name')
    .option('-p, --password <password>', 'password (prefer --password-stdin)')
    .option('--password-stdin', 'read the password from stdin');
  withRegistryOptions(command).action(async (registry: string, flags: LoginFlags) => {
    if (flags.username === undefined) {
      throw new ShaleError('ERR_INVALID_ARGUMENT', 'login needs --username');
    }
    if ((flags.password !== undefined) === (flags.passwordStdin === true)) {
      throw new ShaleError(
        'ERR_INVALID_ARGUMENT',
        'login needs exactly one of --password and --password-stdin',
      );
    }
    const password = flags.password ?? (await readStdinPassword());
    const { login, registryOptionsFromEnv } = await import('../../registry/index.ts');
    await login(
      registry,
      { username: flags.username, password },
      clientOptions(flags, registry, registryOptionsFromEnv()),
    );
    process.stderr.write(`Login Succeeded (${registry})\n`);
  });
  program
    .command('logout')
    .description('remove the stored credentials of a registry')
    .argument('<registry>', 'registry host')
    .action(async (registry: string) => {
      const { logout } = await import('../../registry/index.ts');
      const removed = await logout(registry);
      process.stderr.write(
        removed ? `Removed login credentials for ${registry}\n` : `Not logged in to ${registry}\n`,
      );
    });
}
