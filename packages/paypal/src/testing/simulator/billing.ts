// Catalog Products v1 and Subscriptions v1 (plans and subscriptions), including the JSON
// Patch updates the toolkit's update_plan and update_subscription send.
import {
  type InternalState,
  invalid,
  isObject,
  json,
  link,
  noContent,
  page,
  type Route,
  type RouteContext,
  readMoney,
  resource,
  unprocessable,
} from './http.js';
import { REQUEST_ID_RETENTION_MS } from './request-ids.js';
import { iso, type JsonObject } from './state.js';

const PRODUCT_TYPES = ['PHYSICAL', 'DIGITAL', 'SERVICE'];

function productLinks(id: string, origin: string) {
  const base = `${origin}/v1/catalogs/products/${id}`;
  return [link(base, 'self'), link(base, 'edit', 'PATCH')];
}

function planLinks(plan: JsonObject, origin: string) {
  const base = `${origin}/v1/billing/plans/${String(plan.id)}`;
  return [
    link(base, 'self'),
    link(base, 'edit', 'PATCH'),
    link(`${base}/${plan.status === 'ACTIVE' ? 'deactivate' : 'activate'}`, 'self', 'POST'),
  ];
}

function subscriptionLinks(subscription: JsonObject, origin: string) {
  const id = String(subscription.id);
  const base = `${origin}/v1/billing/subscriptions/${id}`;
  if (subscription.status === 'APPROVAL_PENDING') {
    return [
      link(
        `https://www.sandbox.paypal.com/webapps/billing/subscriptions?ba_token=BA-${id.slice(2)}`,
        'approve',
      ),
      link(base, 'edit', 'PATCH'),
      link(base, 'self'),
    ];
  }
  return [
    link(`${base}/cancel`, 'cancel', 'POST'),
    link(base, 'edit', 'PATCH'),
    link(base, 'self'),
    link(`${base}/suspend`, 'suspend', 'POST'),
    link(`${base}/capture`, 'capture', 'POST'),
  ];
}

interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

function readPatch(state: InternalState, body: unknown): PatchOperation[] {
  if (!Array.isArray(body) || body.length === 0) {
    throw invalid(state, 'INVALID_PATCH_REQUEST', 'The request body must be a JSON Patch array.');
  }
  return body.map((raw, index) => {
    const operation = isObject(raw) ? raw : {};
    if (operation.op !== 'add' && operation.op !== 'replace' && operation.op !== 'remove') {
      throw invalid(
        state,
        'INVALID_PATCH_OPERATION',
        'The operation cannot be honored. Cannot add a property that is already present, instead use replace. Cannot replace a property that is not present, instead use add.',
        `/${index}/op`,
      );
    }
    if (typeof operation.path !== 'string' || !operation.path.startsWith('/')) {
      throw invalid(state, 'PATCH_PATH_REQUIRED', 'Specify a path for the patch operation.');
    }
    if (operation.op !== 'remove' && operation.value === undefined) {
      throw invalid(state, 'PATCH_VALUE_REQUIRED', 'Specify a value for the patch operation.');
    }
    return { op: operation.op, path: operation.path, value: operation.value };
  });
}

/**
 * Applies JSON Patch operations (RFC 6902 add/replace/remove) on `target`, with PayPal's
 * `@sequence==N` selector for billing cycles.
 */
function applyPatch(
  state: InternalState,
  target: JsonObject,
  operations: PatchOperation[],
  patchable: RegExp,
) {
  for (const operation of operations) {
    if (!patchable.test(operation.path)) {
      throw unprocessable(state, 'FIELD_NOT_PATCHABLE', 'Field cannot be patched.', operation.path);
    }
    const segments = operation.path.slice(1).split('/');
    const last = segments.pop() as string;
    let node: unknown = target;
    for (const segment of segments) {
      const selector = /^@sequence==(\d+)$/.exec(segment);
      if (selector && Array.isArray(node)) {
        node = node.find((item) => isObject(item) && item.sequence === Number(selector[1]));
      } else if (isObject(node)) {
        node[segment] ??= {};
        node = node[segment];
      } else {
        node = undefined;
      }
      if (node === undefined) {
        throw unprocessable(
          state,
          'INVALID_PATCH_PATH',
          'The path does not exist.',
          operation.path,
        );
      }
    }
    if (!isObject(node)) {
      throw unprocessable(state, 'INVALID_PATCH_PATH', 'The path does not exist.', operation.path);
    }
    if (operation.op === 'remove') delete node[last];
    else node[last] = operation.value;
  }
}

function product(context: RouteContext): JsonObject {
  return resource(context, context.state.products);
}

function plan(context: RouteContext, id?: string): JsonObject {
  return resource(context, context.state.plans, id);
}

function subscription(context: RouteContext): JsonObject {
  return resource(context, context.state.subscriptions);
}

function planTerms(source: JsonObject): JsonObject {
  return structuredClone({
    billing_cycles: source.billing_cycles,
    payment_preferences: source.payment_preferences,
    taxes: source.taxes,
  });
}

/** The product, plan and subscription routes. */
export const billingRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/catalogs/products',
    requestIdRetentionMs: REQUEST_ID_RETENTION_MS.billing,
    async handle(context) {
      const { state, clock, origin } = context;
      const body = await context.json();
      const input = isObject(body) ? body : {};
      if (typeof input.name !== 'string' || input.name === '' || input.name.length > 127) {
        throw invalid(
          state,
          'MISSING_REQUIRED_PARAMETER',
          'A required parameter is missing.',
          '/name',
        );
      }
      const type = input.type ?? 'PHYSICAL';
      if (typeof type !== 'string' || !PRODUCT_TYPES.includes(type)) {
        throw invalid(state, 'INVALID_PARAMETER_VALUE', 'A parameter value is not valid.', '/type');
      }
      const id =
        typeof input.id === 'string' && input.id !== '' ? input.id : state.idSource.product();
      if (state.products.has(id)) {
        throw unprocessable(
          state,
          'DUPLICATE_RESOURCE_IDENTIFIER',
          'A product with this id exists.',
        );
      }
      const time = iso(clock.now());
      const created: JsonObject = { id, name: input.name, type };
      for (const field of ['description', 'category', 'image_url', 'home_url']) {
        if (typeof input[field] === 'string') created[field] = input[field];
      }
      created.create_time = time;
      created.update_time = time;
      state.products.set(id, created);
      return json({ ...created, links: productLinks(id, origin) }, 201);
    },
  },
  {
    method: 'GET',
    path: '/v1/catalogs/products',
    handle(context) {
      const { state, url, origin } = context;
      const all = [...state.products.values()].sort((a, b) =>
        String(b.create_time).localeCompare(String(a.create_time)),
      );
      const { slice, totals, number, totalPages } = page(all, url, 10, 20);
      return json({
        products: slice.map((item) => ({
          id: item.id,
          name: item.name,
          ...(item.description ? { description: item.description } : {}),
          create_time: item.create_time,
          links: [link(`${origin}/v1/catalogs/products/${String(item.id)}`, 'self')],
        })),
        ...totals,
        links: [
          link(`${origin}/v1/catalogs/products?page=${number}`, 'self'),
          ...(number < totalPages
            ? [link(`${origin}/v1/catalogs/products?page=${number + 1}`, 'next')]
            : []),
        ],
      });
    },
  },
  {
    method: 'GET',
    path: '/v1/catalogs/products/:id',
    handle(context) {
      const found = product(context);
      return json({ ...found, links: productLinks(String(found.id), context.origin) });
    },
  },
  {
    method: 'POST',
    path: '/v1/billing/plans',
    requestIdRetentionMs: REQUEST_ID_RETENTION_MS.billing,
    async handle(context) {
      const { state, clock, origin } = context;
      const body = await context.json();
      const input = isObject(body) ? body : {};
      if (typeof input.product_id !== 'string' || !state.products.has(input.product_id)) {
        throw unprocessable(
          state,
          'INVALID_PARAMETER_VALUE',
          'The specified product does not exist.',
          '/product_id',
        );
      }
      if (typeof input.name !== 'string' || input.name === '') {
        throw invalid(
          state,
          'MISSING_REQUIRED_PARAMETER',
          'A required parameter is missing.',
          '/name',
        );
      }
      if (!Array.isArray(input.billing_cycles) || input.billing_cycles.length === 0) {
        throw invalid(
          state,
          'MISSING_REQUIRED_PARAMETER',
          'A required parameter is missing.',
          '/billing_cycles',
        );
      }
      input.billing_cycles.forEach((cycle, index) => {
        const price = isObject(cycle) && isObject(cycle.pricing_scheme) ? cycle.pricing_scheme : {};
        if (price.fixed_price !== undefined) {
          readMoney(
            state,
            price.fixed_price,
            `/billing_cycles/${index}/pricing_scheme/fixed_price`,
          );
        }
      });
      const time = iso(clock.now());
      const created: JsonObject = {
        id: state.idSource.plan(),
        product_id: input.product_id,
        name: input.name,
        status: typeof input.status === 'string' ? input.status : 'ACTIVE',
        ...(typeof input.description === 'string' ? { description: input.description } : {}),
        usage_type: 'LICENSED',
        billing_cycles: input.billing_cycles,
        payment_preferences: isObject(input.payment_preferences)
          ? input.payment_preferences
          : { auto_bill_outstanding: true, payment_failure_threshold: 0 },
        ...(isObject(input.taxes) ? { taxes: input.taxes } : {}),
        quantity_supported: false,
        create_time: time,
        update_time: time,
      };
      state.plans.set(String(created.id), created);
      return json({ ...created, links: planLinks(created, origin) }, 201);
    },
  },
  {
    method: 'GET',
    path: '/v1/billing/plans',
    handle(context) {
      const { state, url, origin } = context;
      const productId = url.searchParams.get('product_id');
      const all = [...state.plans.values()]
        .filter((item) => !productId || item.product_id === productId)
        .sort((a, b) => String(b.create_time).localeCompare(String(a.create_time)));
      const { slice, totals, number } = page(all, url, 10, 20);
      return json({
        plans: slice.map((item) => ({
          id: item.id,
          product_id: item.product_id,
          name: item.name,
          status: item.status,
          ...(item.description ? { description: item.description } : {}),
          usage_type: item.usage_type,
          create_time: item.create_time,
          links: [link(`${origin}/v1/billing/plans/${String(item.id)}`, 'self')],
        })),
        ...totals,
        links: [link(`${origin}/v1/billing/plans?page=${number}`, 'self')],
      });
    },
  },
  {
    method: 'GET',
    path: '/v1/billing/plans/:id',
    handle(context) {
      const found = plan(context);
      return json({ ...found, links: planLinks(found, context.origin) });
    },
  },
  {
    method: 'PATCH',
    path: '/v1/billing/plans/:id',
    async handle(context) {
      const found = plan(context);
      const operations = readPatch(context.state, await context.json());
      applyPatch(
        context.state,
        found,
        operations,
        /^\/(name|description|payment_preferences\/(auto_bill_outstanding|payment_failure_threshold|setup_fee|setup_fee_failure_action)|taxes\/percentage)$/,
      );
      found.update_time = iso(context.clock.now());
      return noContent();
    },
  },
  {
    method: 'POST',
    path: '/v1/billing/subscriptions',
    requestIdRetentionMs: REQUEST_ID_RETENTION_MS.billing,
    async handle(context) {
      const { state, clock, origin } = context;
      const body = await context.json();
      const input = isObject(body) ? body : {};
      const planId = typeof input.plan_id === 'string' ? input.plan_id : '';
      const found = state.plans.get(planId);
      if (!found) {
        throw unprocessable(
          state,
          'RESOURCE_NOT_FOUND',
          'The specified resource does not exist.',
          '/plan_id',
        );
      }
      if (found.status !== 'ACTIVE') {
        throw unprocessable(
          state,
          'PLAN_STATUS_INVALID',
          'Invalid plan status. Plan must be active.',
        );
      }
      if (input.shipping_amount !== undefined) {
        readMoney(state, input.shipping_amount, '/shipping_amount');
      }
      const now = clock.now();
      const created: JsonObject = {
        id: state.idSource.subscription(),
        status: 'APPROVAL_PENDING',
        status_update_time: iso(now),
        plan_id: planId,
        plan_overridden: false,
        start_time: iso(now),
        quantity: String(input.quantity ?? '1'),
        ...(input.shipping_amount ? { shipping_amount: input.shipping_amount } : {}),
        ...(isObject(input.subscriber) ? { subscriber: input.subscriber } : {}),
        create_time: iso(now),
      };
      state.subscriptions.set(String(created.id), created);
      return json({ ...created, links: subscriptionLinks(created, origin) }, 201);
    },
  },
  {
    method: 'GET',
    path: '/v1/billing/subscriptions/:id',
    handle(context) {
      const found = subscription(context);
      const { plan: override, ...rest } = found;
      const withPlan = context.url.searchParams.get('fields') === 'plan';
      return json({
        ...rest,
        ...(withPlan
          ? {
              plan: isObject(override) ? override : planTerms(plan(context, String(found.plan_id))),
            }
          : {}),
        links: subscriptionLinks(found, context.origin),
      });
    },
  },
  {
    method: 'POST',
    path: '/v1/billing/subscriptions/:id/cancel',
    async handle(context) {
      const { state, clock } = context;
      const found = subscription(context);
      const body = await context.json().catch(() => ({}));
      if (!isObject(body) || typeof body.reason !== 'string' || body.reason === '') {
        throw invalid(
          state,
          'MISSING_REQUIRED_PARAMETER',
          'A required parameter is missing.',
          '/reason',
        );
      }
      if (found.status !== 'ACTIVE' && found.status !== 'SUSPENDED') {
        throw unprocessable(
          state,
          'SUBSCRIPTION_STATUS_INVALID',
          'Invalid subscription status for cancel action; subscription status should be active or suspended.',
        );
      }
      found.status = 'CANCELLED';
      found.status_update_time = iso(clock.now());
      found.status_change_note = body.reason;
      return noContent();
    },
  },
  {
    method: 'PATCH',
    path: '/v1/billing/subscriptions/:id',
    async handle(context) {
      const found = subscription(context);
      const operations = readPatch(context.state, await context.json());
      if (operations.some((operation) => operation.path.startsWith('/plan/')) && !found.plan) {
        found.plan = planTerms(plan(context, String(found.plan_id)));
        found.plan_overridden = true;
      }
      applyPatch(
        context.state,
        found,
        operations,
        /^\/(billing_info\/outstanding_balance|custom_id|shipping_amount|subscriber\/shipping_address|plan\/billing_cycles\/@sequence==\d+\/pricing_scheme\/fixed_price|plan\/payment_preferences\/(payment_failure_threshold|auto_bill_outstanding)|plan\/taxes\/(inclusive|percentage))$/,
      );
      found.update_time = iso(context.clock.now());
      return noContent();
    },
  },
];
