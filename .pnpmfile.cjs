// pnpm hooks. `beforePacking` runs on `pnpm pack` and `pnpm publish` (pnpm ≥ 10.28) and
// shapes the manifest that goes into the tarball without touching the file on disk.

/**
 * Inside this workspace each package's `exports` carries an `@handshake/source` condition
 * pointing at its TypeScript sources, so tests and typechecks need no build. Published
 * packages ship `dist` only; the condition is removed so no published entry points at a
 * file that is not in the tarball.
 */
function stripSourceCondition(exports) {
  if (exports === null || typeof exports !== 'object' || Array.isArray(exports)) return exports;
  const out = {};
  for (const [key, value] of Object.entries(exports)) {
    if (key === '@handshake/source') continue;
    out[key] = stripSourceCondition(value);
  }
  return out;
}

module.exports = {
  hooks: {
    beforePacking(pkg) {
      if (pkg.exports !== undefined) pkg.exports = stripSourceCondition(pkg.exports);
      // The scripts run the sources inside this repository (build, typecheck, tsx): none
      // of them means anything in an installed package.
      delete pkg.scripts;
      return pkg;
    },
  },
};
