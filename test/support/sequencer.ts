import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Vitest's order (the projects by name, then the longest or largest files first), with
 * the slowest file moved ahead of everything: the registry test spends minutes waiting on
 * builds and npm, so it starts at once and the other files run beside it, instead of
 * starting last (its project, `test`, sorts after `examples` and `packages`) and running
 * alone at the end.
 */
export class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const slowest = sorted.filter((spec) => SLOWEST.test(spec.moduleId));
    return [...slowest, ...sorted.filter((spec) => !SLOWEST.test(spec.moduleId))];
  }
}

const SLOWEST = /[\\/]test[\\/]registry\.test\.ts$/;
