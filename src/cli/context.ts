/** What every command can reach: the store named by the global `--root` (opened on first use). */
import type { Command } from 'commander';
import type { Store } from '../store/index.ts';

export class CliContext {
  private opened: Promise<Store> | undefined;

  constructor(private readonly program: Command) {}

  store(): Promise<Store> {
    // Loaded on first use: commands that need no store start faster.
    this.opened ??= import('../store/index.ts').then(({ openStore }) =>
      openStore(this.program.opts<{ root?: string }>().root),
    );
    return this.opened;
  }
}
