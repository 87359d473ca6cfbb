// PATCH /v2/checkout/orders/{id} (orders.patch), as the Orders v2 OpenAPI document of
// paypal/paypal-rest-api-specifications @ec4d8f36 (Apache-2.0) describes it: a JSON Patch
// array, accepted while the order is CREATED or APPROVED, answered 204. The simulator
// patches the intent and, per purchase unit, the amount, the items and the shipping name
// and address; PayPal's other patchable fields are refused with FIELD_NOT_PATCHABLE.
import {
  invalid,
  isObject,
  noContent,
  type Route,
  type RouteContext,
  resource,
  unprocessable,
} from './http.js';
import { readUnitAmount } from './orders.js';
import type { SimulatedPurchaseUnit } from './state.js';

const UNIT_PATH = /^\/purchase_units\/@reference_id=='([^']*)'\/(.+)$/;

type Operation = { op: string; path: string; value?: unknown };

function readOperations(context: RouteContext, body: unknown): Operation[] {
  const { state } = context;
  if (!Array.isArray(body) || body.length === 0) {
    throw invalid(state, 'MALFORMED_REQUEST_JSON', 'The request JSON is not well formed.');
  }
  return body.map((raw, index) => {
    if (!isObject(raw) || typeof raw.op !== 'string') {
      throw invalid(
        state,
        'MISSING_REQUIRED_PARAMETER',
        'A required field / parameter is missing.',
        `/${index}/op`,
      );
    }
    if (!['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(raw.op)) {
      throw invalid(
        state,
        'INVALID_PARAMETER_VALUE',
        'The value of a field is invalid.',
        `/${index}/op`,
      );
    }
    if (typeof raw.path !== 'string' || raw.path === '') {
      throw unprocessable(
        state,
        'PATCH_PATH_REQUIRED',
        "Please specify a 'path' for the field for which the operation needs to be performed.",
        `/${index}/path`,
      );
    }
    if (!raw.path.startsWith('/')) {
      throw unprocessable(
        state,
        'INVALID_JSON_POINTER_FORMAT',
        'Path should be a valid JSON Pointer https://tools.ietf.org/html/rfc6901 that references a location within the request where the operation is performed.',
        `/${index}/path`,
      );
    }
    if (raw.op !== 'remove' && !('value' in raw)) {
      throw unprocessable(
        state,
        'PATCH_VALUE_REQUIRED',
        "Please specify a 'value' to for the field that is being patched.",
        `/${index}/value`,
      );
    }
    return { op: raw.op, path: raw.path, ...('value' in raw ? { value: raw.value } : {}) };
  });
}

/** Applies one operation to a copy of a purchase unit. */
function patchUnit(
  context: RouteContext,
  unit: SimulatedPurchaseUnit,
  field: string,
  operation: Operation,
): SimulatedPurchaseUnit {
  const { state } = context;
  const notPatchable = () =>
    invalid(state, 'FIELD_NOT_PATCHABLE', 'Field cannot be patched.', operation.path);
  const wrongOperation = () => invalidOperation(context, operation.path);
  switch (field) {
    case 'amount':
      if (operation.op !== 'replace') throw wrongOperation();
      return {
        ...unit,
        amount: readUnitAmount(state, operation.value, operation.path, unit.referenceId),
      };
    case 'items': {
      if (operation.op === 'remove') {
        const { items: _removed, ...rest } = unit;
        return rest;
      }
      if (!['add', 'replace'].includes(operation.op)) throw wrongOperation();
      if (!Array.isArray(operation.value)) throw notPatchable();
      return { ...unit, items: operation.value };
    }
    case 'shipping/name':
    case 'shipping/address': {
      if (!['add', 'replace'].includes(operation.op)) throw wrongOperation();
      if (!isObject(operation.value)) throw notPatchable();
      const shipping = isObject(unit.shipping) ? unit.shipping : {};
      const key = field === 'shipping/name' ? 'name' : 'address';
      return { ...unit, shipping: { ...shipping, [key]: operation.value } };
    }
    default:
      throw notPatchable();
  }
}

/** The order update route. */
export const orderUpdateRoutes: Route[] = [
  {
    method: 'PATCH',
    path: '/v2/checkout/orders/:id',
    async handle(context) {
      const { state, clock } = context;
      const order = resource(context, state.orders);
      const operations = readOperations(context, await context.json());
      if (order.status === 'COMPLETED') {
        throw unprocessable(
          state,
          'ORDER_ALREADY_COMPLETED',
          'The order cannot be patched after it is completed.',
        );
      }
      if (order.status !== 'CREATED' && order.status !== 'APPROVED') {
        throw unprocessable(state, 'NOT_PATCHABLE', 'Cannot be patched.');
      }
      // Every operation is checked before any applies: a refused patch changes nothing.
      let intent = order.intent;
      let units = order.purchaseUnits;
      for (const operation of operations) {
        if (operation.path === '/intent') {
          if (operation.op !== 'replace') throw invalidOperation(context, operation.path);
          if (operation.value !== 'CAPTURE' && operation.value !== 'AUTHORIZE') {
            throw invalid(
              state,
              'INVALID_PARAMETER_VALUE',
              'The value of a field is invalid.',
              '/intent',
            );
          }
          intent = operation.value;
          continue;
        }
        const match = UNIT_PATH.exec(operation.path);
        if (!match) {
          throw invalid(state, 'FIELD_NOT_PATCHABLE', 'Field cannot be patched.', operation.path);
        }
        const [, referenceId, field] = match;
        const index = units.findIndex((unit) => unit.referenceId === referenceId);
        const unit = units[index];
        if (!unit) {
          throw unprocessable(
            state,
            'REFERENCE_ID_NOT_FOUND',
            'Filter expression value is incorrect. Please check the value of the reference_id and try again.',
            operation.path,
          );
        }
        const patched = patchUnit(context, unit, field ?? '', operation);
        units = units.map((existing, i) => (i === index ? patched : existing));
      }
      const currencies = new Set(units.map((unit) => unit.amount.currency_code));
      if (currencies.size > 1) {
        throw unprocessable(
          state,
          'MULTI_CURRENCY_ORDER',
          'Multiple differing values of currency_code are not supported. Entire Order request must have the same currency_code.',
        );
      }
      order.intent = intent;
      order.purchaseUnits = units;
      order.updateTime = clock.now();
      return noContent();
    },
  },
];

function invalidOperation(context: RouteContext, path: string) {
  return invalid(
    context.state,
    'INVALID_PATCH_OPERATION',
    "The operation cannot be honored. Cannot add a property that's already present, use replace. Cannot remove a property thats not present, use add. Cannot replace a property thats not present, use add.",
    path,
  );
}
