import { describe, expect, it } from 'vitest';
import { leaksIn } from './leaks.js';

describe('leaksIn', () => {
  it('finds URLs, tokens, identifiers and credentials, and nothing in clean text', () => {
    expect(leaksIn([{ content: 'A person denied this call.' }], ['s3cret'])).toEqual([]);
    expect(leaksIn(['see http://127.0.0.1:9/x'])).toEqual(['a URL']);
    expect(leaksIn(['hset_abc'])).toEqual(['a token']);
    expect(leaksIn(['apr_0123456789abcdef_x'])).toEqual(['an approval or transaction id']);
    expect(leaksIn(['the s3cret'], ['s3cret'])).toEqual(['a credential']);
  });
});
