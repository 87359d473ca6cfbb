// What every agent example (`examples/ai-sdk`, `…/openai-agents`, `…/langchain`) must
// show when run as its README says: a read at once, a refund that waits for a person
// and runs, a denial the model reads as a denial, and a model that saw nothing secret.
import { execFile } from 'node:child_process';
import { expect } from 'vitest';

/** Runs `pnpm start` in the example's folder and answers what it printed. */
export function runStart(root: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('pnpm', ['run', '--silent', 'start'], { cwd: root }, (error, stdout, stderr) => {
      if (error) reject(new Error(`pnpm start failed:\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** `waiting` is how the example says a refund waits (its framework's idiom). */
export function expectTheThreeFlows(output: string, waiting: RegExp): void {
  const [read, approved, denied] = output.split(/^\d\. /m).slice(1);
  expect(read).toMatch(/get_order answered \{"id":"5O190127TN364715T"/);
  expect(read).not.toMatch(/waits for a person/);
  expect(approved).toMatch(waiting);
  expect(approved).toMatch(/approves it/);
  expect(approved).toMatch(/create_refund answered \{"id":"\w+","status":"COMPLETED"/);
  expect(denied).toMatch(/denies it \(over the limit\)/);
  expect(denied).toMatch(
    /model: I could not do that: APPROVAL_DENIED: A person denied this call\./,
  );
  expect(output.trimEnd().split('\n').at(-1)).toBe('the model saw no URL, token or credential');
}
