import { packageBuild } from '../../tsup.base.js';

export default packageBuild({
  entry: {
    index: 'src/index.ts',
    node: 'src/node/index.ts',
    'aws-lambda': 'src/aws-lambda/index.ts',
    testing: 'src/testing/index.ts',
    opentelemetry: 'src/opentelemetry/index.ts',
  },
  requireBundles: [/^@noble\//, /^jose$/],
});
