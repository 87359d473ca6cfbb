/**
 * Expressions name every attribute as `#name`; this collects the names they use, so no
 * attribute can collide with one of DynamoDB's reserved words (`ttl`, `drop`, …).
 */
export function namesOf(...expressions: (string | undefined)[]): Record<string, string> {
  const names: Record<string, string> = {};
  for (const expression of expressions) {
    for (const match of expression?.matchAll(/#(\w+)/g) ?? []) {
      names[`#${match[1]}`] = match[1] as string;
    }
  }
  return names;
}
