// Every published package runs this before it is packed. `pnpm pack` and `pnpm publish`
// write the tarball users install: they turn `workspace:` ranges into versions and, through
// .pnpmfile.cjs, drop the `@handshake/source` condition that points at unshipped sources.
// `npm pack` and `npm publish` do neither, so they are stopped here with what to run instead.
const agent = process.env.npm_config_user_agent ?? '';
if (!agent.startsWith('pnpm/')) {
  const name = process.env.npm_package_name ?? 'this package';
  process.stderr.write(
    [
      `${name} is packed with pnpm: its manifest uses workspace: ranges and a source condition`,
      'that only pnpm rewrites for the tarball. Run instead, in this folder:',
      '',
      '  npx -y pnpm@10 pack        (or: npx -y pnpm@10 publish)',
      '',
      'To release every package: npx -y pnpm@10 run release',
      '',
    ].join('\n'),
  );
  process.exit(1);
}
