import { SkillframeError } from '../core/errors.ts';
import { runProgram } from '../native/process/run.ts';

/**
 * What an app shows, as the app itself copies it: activate its window, press ctrl+c, read the
 * clipboard back with xclip. galculator copies its display this way; tests, benchmarks and the
 * demo judge by it instead of by replay's own word.
 */
export async function copiedBy(windowId: string, env: NodeJS.ProcessEnv): Promise<string> {
  // No --sync: it waits for an X event that never comes when the window is already active.
  await runProgram('xdotool', ['windowactivate', windowId], { env, timeoutMs: 5_000 });
  await new Promise((resolve) => setTimeout(resolve, 150));
  // XTEST keys to the active window (GTK ignores --window keys as synthetic).
  await runProgram('xdotool', ['key', '--clearmodifiers', 'ctrl+c'], { env, timeoutMs: 5_000 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const result = await runProgram('xclip', ['-o', '-selection', 'clipboard'], { env, timeoutMs: 5_000 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new SkillframeError('unavailable', 'xclip is not installed (apt-get install xclip)');
    throw error;
  });
  return result.stdout.trim();
}
