// Helpers shared by the threat suites: the two phases over HTTP, as an agent sends them.
import { expect } from 'vitest';
import { type Answer, expectRefusal, type Harness } from '../harness.js';

export interface Authorized {
  transactionId: string;
  ephemeralToken: string;
  paramsHash: string;
}

/** `POST /authorize`, which must answer 200. */
export async function authorized(
  h: Harness,
  tool: string,
  parameters: Record<string, unknown>,
  credential: string,
): Promise<Authorized> {
  const answer = await h.request('POST', '/authorize', {
    body: { tool, parameters },
    credential,
  });
  expect(answer.status, answer.text).toBe(200);
  return answer.json as Authorized;
}

/** `POST /execute`, signed with `key` (alice's by default) unless `signed: false`. */
export function execute(
  h: Harness,
  input: {
    token: string;
    tool: string;
    parameters: Record<string, unknown>;
    transactionId: string;
    credential: string;
    key?: { keyId: string; privateKey: string };
    /** Sign these parameters instead of the ones sent. */
    signParameters?: Record<string, unknown>;
  },
): Promise<Answer> {
  return h.request('POST', '/execute', {
    body: {
      ephemeralToken: input.token,
      tool: input.tool,
      parameters: input.parameters,
      ...h.sign(
        input.tool,
        input.signParameters ?? input.parameters,
        input.transactionId,
        input.key,
      ),
    },
    credential: input.credential,
  });
}

/** The error code of a refusal (checked to be a clean 4xx envelope). */
export function refusal(answer: Answer): string {
  return expectRefusal(answer);
}
