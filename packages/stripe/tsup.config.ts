import { packageBuild } from '../../tsup.base.js';

export default packageBuild({
  entry: { index: 'src/index.ts', testing: 'src/testing/index.ts' },
  // Peers: the user's own copies are used.
  external: ['stripe', 'msw'],
});
