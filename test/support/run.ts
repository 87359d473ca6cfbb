import { execFile } from 'node:child_process';
import { relative } from 'node:path';
import { repo } from './virtual-program.js';

export interface RunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs a command; rejects with its output unless `allowFailure`. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; allowFailure?: boolean; timeout?: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        maxBuffer: 64 * 1024 * 1024,
        timeout: options.timeout ?? 0,
      },
      (error, stdout, stderr) => {
        if (error && options.allowFailure) {
          resolve({ ok: false, stdout, stderr });
        } else if (error) {
          const shown = `${command} ${args.join(' ')} (in ${relative(repo, options.cwd) || '.'})`;
          reject(new Error(`${shown} failed:\n${stdout}\n${stderr}`, { cause: error }));
        } else {
          resolve({ ok: true, stdout, stderr });
        }
      },
    );
  });
}

/** The environment without the variables pnpm sets for its own scripts (npm reads them). */
export function npmEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(lifecycle|package|config_|execpath|node_execpath)/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}
