import { describe, expect, it } from 'vitest';
import { forModel } from './model-result.js';

describe('forModel', () => {
  it('drops link lists and withholds URLs, keeping the data', () => {
    const refund = {
      id: 'R-1',
      status: 'COMPLETED',
      note: 'see https://www.paypal.com/x?y=1 for details',
      links: [{ href: 'https://api.sandbox.paypal.com/v2/payments/refunds/R-1', rel: 'self' }],
      items: [{ name: 'mug', url: 'http://shop.example/mug' }],
    };
    expect(forModel(refund)).toEqual({
      id: 'R-1',
      status: 'COMPLETED',
      note: 'see (link withheld) for details',
      items: [{ name: 'mug', url: '(link withheld)' }],
    });
  });
});
