import type { ToolContext, ToolDefinition, ToolProviderV1 } from '@handshake/core';
import { formatMoney, HandshakeError, parseMoney } from '@handshake/protocol';
import { z } from 'zod';

// A double-entry ledger behind three tools, one per tier above PUBLIC. Money is held
// as bigint minor units and travels as decimal strings, as everywhere in Handshake.
// Failures are HandshakeErrors with PROVIDER_ERROR or VALIDATION_ERROR: the engine
// passes their messages on to the caller, and hides any other error's detail.

const AccountId = z.string().regex(/^acct_[a-z0-9-]{3,32}$/, 'an account id such as acct_alice');
const Amount = z
  .object({
    value: z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, 'a decimal string such as "30.00"'),
    currency: z.enum(['USD', 'EUR']),
  })
  .strict();

const BalanceInput = z.object({ account: AccountId }).strict();
const OpenAccountInput = z
  .object({ label: z.string().min(3).max(32), currency: z.enum(['USD', 'EUR']) })
  .strict();
const TransferInput = z
  .object({ from: AccountId, to: AccountId, amount: Amount, memo: z.string().max(140).optional() })
  .strict();

interface Account {
  id: string;
  owner: string;
  currency: 'USD' | 'EUR';
  balance: bigint;
}

interface Transfer {
  transferId: string;
  from: string;
  to: string;
  amount: { value: string; currency: string };
}

/** The ledger as a tool provider, with a read-only view of its accounts for the example. */
export interface LedgerTools extends ToolProviderV1 {
  balanceOf(accountId: string): string | undefined;
}

/**
 * A ledger tool provider: `ledger_balance` (INTERNAL), `ledger_open_account`
 * (CONFIDENTIAL, strict schema and a rule on the label) and `ledger_transfer`
 * (RESTRICTED: approval, and its amount counts against spending limits).
 *
 * @example
 * ```ts
 * import { createHandshake } from '@handshake/core';
 * import { ledgerTools } from './ledger-tools.js';
 *
 * const engine = createHandshake({
 *   tools: ledgerTools([{ id: 'acct_alice', owner: 'alice', currency: 'USD', balance: '500.00' }]),
 * });
 * ```
 */
export function ledgerTools(
  opening: ReadonlyArray<{ id: string; owner: string; currency: 'USD' | 'EUR'; balance: string }>,
): LedgerTools {
  const accounts = new Map<string, Account>(
    opening.map((account) => [
      account.id,
      { ...account, balance: parseMoney(account.balance, account.currency, { allowZero: true }) },
    ]),
  );
  // Applied transfers by Handshake transaction: the engine already runs a call once;
  // keying by transaction makes the ledger safe on its own too.
  const transfers = new Map<string, Transfer>();

  const owned = (accountId: string, context: ToolContext): Account => {
    const account = accounts.get(accountId);
    // Same answer for "missing" and "not yours": no probing of other users' accounts.
    if (!account || account.owner !== context.userId) {
      throw new HandshakeError('PROVIDER_ERROR', 'No such account');
    }
    return account;
  };

  const tools: ToolDefinition[] = [
    {
      name: 'ledger_balance',
      description: 'Read the balance of one of your accounts.',
      tier: 'INTERNAL',
      inputSchema: BalanceInput,
      jsonSchema: z.toJSONSchema(BalanceInput),
      annotations: { readOnlyHint: true, idempotentHint: true },
    },
    {
      name: 'ledger_open_account',
      description: 'Open a new, empty account.',
      tier: 'CONFIDENTIAL',
      inputSchema: OpenAccountInput,
      jsonSchema: z.toJSONSchema(OpenAccountInput),
      rules: [
        {
          path: 'label',
          pattern: /[a-z0-9-]+/,
          required: true,
          description: 'a label of lowercase letters, digits and dashes',
        },
      ],
    },
    // #region transfer-tool
    {
      name: 'ledger_transfer',
      description: 'Move money from one of your accounts to any account.',
      tier: 'RESTRICTED',
      inputSchema: TransferInput,
      jsonSchema: z.toJSONSchema(TransferInput),
      // Read after the schema passed, so the parse cannot fail here.
      amount: (parameters) => TransferInput.parse(parameters).amount,
      payee: (parameters) => TransferInput.parse(parameters).to,
      annotations: { destructiveHint: true, idempotentHint: false },
    },
    // #endregion transfer-tool
  ];

  return {
    specificationVersion: 'v1',
    listTools: () => tools,
    balanceOf(accountId) {
      const account = accounts.get(accountId);
      return account && formatMoney(account.balance, account.currency);
    },
    execute(name, parameters, context) {
      switch (name) {
        case 'ledger_balance': {
          const account = owned(BalanceInput.parse(parameters).account, context);
          return {
            account: account.id,
            balance: {
              value: formatMoney(account.balance, account.currency),
              currency: account.currency,
            },
          };
        }
        case 'ledger_open_account': {
          const input = OpenAccountInput.parse(parameters);
          const id = `acct_${input.label}`;
          if (accounts.has(id)) throw new HandshakeError('VALIDATION_ERROR', 'That label is taken');
          accounts.set(id, { id, owner: context.userId, currency: input.currency, balance: 0n });
          return { account: id, currency: input.currency };
        }
        case 'ledger_transfer': {
          const previous = transfers.get(context.transactionId);
          if (previous) return previous;
          const input = TransferInput.parse(parameters);
          const from = owned(input.from, context);
          const to = accounts.get(input.to);
          if (!to) throw new HandshakeError('PROVIDER_ERROR', 'No such account');
          if (from.currency !== input.amount.currency || to.currency !== input.amount.currency) {
            throw new HandshakeError('VALIDATION_ERROR', 'Both accounts must hold the currency');
          }
          const amount = parseMoney(input.amount.value, input.amount.currency);
          if (amount > from.balance) {
            throw new HandshakeError('PROVIDER_ERROR', 'The account does not cover it');
          }
          from.balance -= amount;
          to.balance += amount;
          const transfer: Transfer = {
            transferId: `tr_${transfers.size + 1}`,
            from: from.id,
            to: to.id,
            amount: input.amount,
          };
          transfers.set(context.transactionId, transfer);
          return transfer;
        }
        default:
          throw new HandshakeError('PROVIDER_ERROR', 'No such tool');
      }
    },
  };
}
