// Child process for the non-root device test: applies the layer tar on stdin to argv[2] (run
// as an unprivileged user by the parent) and prints {warnings, error} as JSON on stdout.
import { applyLayer, type ApplyWarning } from '../../src/archive/apply/index.ts';

const warnings: ApplyWarning[] = [];
let error: { code?: string; message: string } | null = null;
try {
  await applyLayer(process.argv[2]!, process.stdin, { onWarning: (w) => warnings.push(w) });
} catch (err) {
  error = { code: (err as { code?: string }).code, message: (err as Error).message };
}
process.stdout.write(JSON.stringify({ uid: process.getuid?.(), warnings, error }));
