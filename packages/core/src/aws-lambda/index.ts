// AWS Lambda adapters: API Gateway (REST and HTTP APIs) and Function URLs, buffered or
// streaming. The event-to-Request conversion stays internal.

export type { ApiGatewayProxyEventV1, ApiGatewayProxyEventV2, LambdaHttpEvent } from './events.js';
export {
  type AwsLambdaHandlerOptions,
  awsLambdaHandler,
  type LambdaHttpResult,
  type WebHandler,
} from './handler.js';
export {
  awsLambdaStreamingHandler,
  type LambdaStreamingRuntime,
  lambdaStreamingRuntime,
} from './streaming.js';
