import { costOf, formatCost, parsePrice } from './money.js';

/** A model's price per million tokens, as MODEL_PRICES writes it. */
export interface ModelPrice {
  currency: string;
  inputPerMillion: number | string;
  outputPerMillion: number | string;
  /** Prompt tokens served from the endpoint's context cache; default: the input price. */
  cachedInputPerMillion?: number | string;
}

/**
 * Built-in prices: Alibaba Cloud Model Studio, international (Singapore)
 * deployment, pay-as-you-go list prices in USD per million tokens, as of
 * 2026-12-05. Not checked against the live pricing page (the build has no
 * access to it): qwen-vl-max agrees with OpenRouter's listing of Alibaba's
 * price; the others are Model Studio's published list prices as known, and
 * Qwen3-VL's are its lowest tier (input ≤ 32K tokens). Cached input is
 * Model Studio's implicit-cache rate, 20% of the input price. Override or
 * extend with MODEL_PRICES (docs/analytics.md#cost-in-money).
 */
const BUILT_IN_PRICES: Readonly<Record<string, ModelPrice>> = {
  'qwen-vl-max': { currency: 'USD', inputPerMillion: 0.8, outputPerMillion: 3.2, cachedInputPerMillion: 0.16 },
  'qwen-vl-plus': { currency: 'USD', inputPerMillion: 0.21, outputPerMillion: 0.63, cachedInputPerMillion: 0.042 },
  'qwen3-vl-plus': { currency: 'USD', inputPerMillion: 0.2, outputPerMillion: 1.6, cachedInputPerMillion: 0.04 },
  'qwen3-vl-flash': { currency: 'USD', inputPerMillion: 0.05, outputPerMillion: 0.4, cachedInputPerMillion: 0.01 },
};

/** Tokens as the endpoint billed them (promptTokens includes cachedTokens, as OpenAI's usage does). */
export interface BilledTokens {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
}

export interface Money {
  /** A decimal string, exact. */
  amount: string;
  currency: string;
}

interface ScaledPrice {
  currency: string;
  input: bigint;
  output: bigint;
  cachedInput: bigint;
}

function scaled(model: string, price: ModelPrice): ScaledPrice {
  const read = (value: number | string) => {
    const parsed = parsePrice(value);
    if (parsed === undefined) throw new Error(`the price of ${model} (${value}) is not a decimal with at most 6 places`);
    return parsed;
  };
  const input = read(price.inputPerMillion);
  return { currency: price.currency, input, output: read(price.outputPerMillion), cachedInput: price.cachedInputPerMillion === undefined ? input : read(price.cachedInputPerMillion) };
}

/** A snapshot or alias of a priced model: qwen-vl-max-2025-08-13 and qwen-vl-max-latest are priced as qwen-vl-max. */
const baseName = (model: string) => model.replace(/-(latest|\d{4}-\d{2}-\d{2}|\d{4})$/, '');

/** Prices per model: the built-in table with MODEL_PRICES over it. */
export class PriceTable {
  private readonly prices: Map<string, ScaledPrice>;

  constructor(overrides: Readonly<Record<string, ModelPrice>> = {}) {
    this.prices = new Map(Object.entries({ ...BUILT_IN_PRICES, ...overrides }).map(([model, price]) => [model, scaled(model, price)]));
  }

  /** What `tokens` of `model` cost, in integer units (see formatCost); null when the model has no price. */
  units(model: string | null, tokens: BilledTokens): { units: bigint; currency: string } | null {
    const price = model === null ? undefined : (this.prices.get(model) ?? this.prices.get(baseName(model)));
    if (!price) return null;
    const cached = Math.min(tokens.cachedTokens, tokens.promptTokens);
    const units = costOf(tokens.promptTokens - cached, price.input) + costOf(cached, price.cachedInput) + costOf(tokens.completionTokens, price.output);
    return { units, currency: price.currency };
  }

  /** What `tokens` of `model` cost; null when the model has no price (not 0: unknown is not free). */
  cost(model: string | null, tokens: BilledTokens): Money | null {
    const cost = this.units(model, tokens);
    return cost && { amount: formatCost(cost.units), currency: cost.currency };
  }
}
