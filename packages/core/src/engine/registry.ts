import { type Tier, type ToolListing, tierRank } from '@handshake/protocol';
import type { ToolDefinition, ToolProviderV1 } from '../tools/tool-provider.js';
import type { HandshakeOptions } from './options.js';

/**
 * A tool as the engine holds it: its definition, its provider, and its tier after the policy.
 *
 * @example
 * ```ts
 * import type { HandshakeEngine, RegisteredTool } from '@handshake/core';
 * declare const engine: HandshakeEngine;
 *
 * const tools: Map<string, RegisteredTool> = await engine.ready(); // throws if the policy lowers a tier
 * for (const [name, tool] of tools) console.log(name, tool.tier);
 * ```
 */
export interface RegisteredTool {
  definition: ToolDefinition;
  provider: ToolProviderV1;
  tier: Tier;
}

/**
 * The tools of every provider, loaded once, with the policy's tiers applied: a name
 * offered twice, a policy naming an unknown tool, or a policy lowering a tier is refused.
 */
export class ToolRegistry {
  readonly #providers: readonly ToolProviderV1[];
  readonly #policy: Readonly<Record<string, Tier>>;
  #tools: Promise<Map<string, RegisteredTool>> | undefined;

  constructor(options: Pick<HandshakeOptions, 'tools' | 'policy'>) {
    this.#providers = Array.isArray(options.tools)
      ? (options.tools as readonly ToolProviderV1[])
      : [options.tools as ToolProviderV1];
    this.#policy = options.policy?.tiers ?? {};
  }

  /** Every tool by name; loaded at the first call, the same map afterwards. */
  tools(): Promise<Map<string, RegisteredTool>> {
    this.#tools ??= this.#load();
    return this.#tools;
  }

  /** The tool named `name`, or `undefined` when no provider offers it. */
  async get(name: string): Promise<RegisteredTool | undefined> {
    return (await this.tools()).get(name);
  }

  /** The tools as callers see them, with their effective tiers. */
  async listings(): Promise<ToolListing[]> {
    const tools = await this.tools();
    return [...tools.values()].map(({ definition, tier }) => ({
      name: definition.name,
      description: definition.description,
      tier,
      movesMoney: definition.amount !== undefined,
      ...(definition.jsonSchema ? { inputSchema: definition.jsonSchema } : {}),
      ...(definition.annotations ? { annotations: definition.annotations } : {}),
    }));
  }

  async #load(): Promise<Map<string, RegisteredTool>> {
    const tools = new Map<string, RegisteredTool>();
    for (const provider of this.#providers) {
      for (const definition of await provider.listTools()) {
        if (tools.has(definition.name)) {
          throw new TypeError(`tool ${definition.name} is offered by two providers`);
        }
        tools.set(definition.name, { definition, provider, tier: definition.tier });
      }
    }
    for (const [name, tier] of Object.entries(this.#policy)) {
      const tool = tools.get(name);
      if (!tool) throw new TypeError(`policy names tool ${name}, which no provider offers`);
      if (tierRank(tier) < tierRank(tool.tier)) {
        throw new TypeError(
          `policy would lower ${name} from ${tool.tier} to ${tier}; tiers can only be raised`,
        );
      }
      tool.tier = tier;
    }
    return tools;
  }
}
