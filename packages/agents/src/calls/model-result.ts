const URL_PATTERN = /\b(?:https?|wss?):\/\/\S+/gi;

/** A HATEOAS list (`[{ href, rel, method }]`), as PayPal's API answers: links, no data. */
function isLinkList(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.every((item) => typeof item === 'object' && item !== null && 'href' in item)
  );
}

/**
 * A tool's result as a model may read it: link lists dropped, any other URL replaced
 * by `(link withheld)`, everything else as the tool answered. A model that never sees
 * a URL can neither follow one nor hand one to a person as if it were trustworthy.
 */
export function forModel(value: unknown, depth = 0): unknown {
  if (depth > 64) return null;
  if (typeof value === 'string') return value.replace(URL_PATTERN, '(link withheld)');
  if (Array.isArray(value)) return value.map((item) => forModel(item, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === 'links' && isLinkList(item)) continue;
    out[key] = forModel(item, depth + 1);
  }
  return out;
}
