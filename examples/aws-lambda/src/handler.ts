// The reference service as AWS Lambda functions. Every function runs this module; the
// service (engine, tools, spend API, console) is built once per execution environment,
// at the first invocation, from the same environment variables as the service itself:
// HANDSHAKE_STORE=dynamodb://<table>, the AWS SDK's region and credentials, sessions,
// keys and limits. Functions share nothing but the DynamoDB table.
import {
  awsLambdaHandler,
  awsLambdaStreamingHandler,
  type LambdaHttpEvent,
  type LambdaHttpResult,
  lambdaStreamingRuntime,
} from '@handshake/core/aws-lambda';
import { createService, loadConfig, type Service } from '@handshake/server';

/** One execution environment's service, and its Lambda entry points. */
export interface LambdaService {
  /** API Gateway (REST or HTTP API) and buffered Function URL invocations. */
  handle(event: LambdaHttpEvent, context?: unknown): Promise<LambdaHttpResult>;
  /** The Web-standard handler (for the streaming entry point). */
  web(request: Request): Promise<Response>;
  close(): Promise<void>;
}

/** Builds the service from `env` on first use; a failed start is retried by the next call. */
export function createLambdaService(env: NodeJS.ProcessEnv = process.env): LambdaService {
  let service: Promise<Service> | undefined;
  const open = () => {
    service ??= createService(loadConfig(env)).catch((error: unknown) => {
      service = undefined;
      throw error;
    });
    return service;
  };
  const web = async (request: Request) => (await open()).handler(request);
  const handle = awsLambdaHandler(web, {
    onError: (error) => console.error('unexpected error:', error),
  });
  return {
    handle,
    web,
    async close() {
      if (service) await (await service).close();
    },
  };
}

let current: LambdaService | undefined;
const shared = () => {
  current ??= createLambdaService();
  return current;
};

/** Entry point of the buffered functions (`handler` in serverless.yml). */
export const handler = (event: LambdaHttpEvent, context?: unknown) =>
  shared().handle(event, context);

/**
 * Entry point of the Function URL in response-streaming mode: approval waiters get
 * Server-Sent Events. Defined only inside Lambda, where the runtime provides streaming.
 */
export const streamHandler = lambdaStreamingRuntime()
  ? awsLambdaStreamingHandler((request) => shared().web(request))
  : undefined;
