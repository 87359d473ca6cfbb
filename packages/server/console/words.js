// @ts-check
// Amounts in words, as a cheque writes them, so an approver reads "25.00 USD" twice over
// before saying yes. American English: no "and" inside a number ("one hundred five"),
// so "and" only ever joins the major and the minor unit.

const SMALL = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
// Short scale, up to what an 18-digit wire amount can hold and a little beyond.
const SCALES = [
  '',
  'thousand',
  'million',
  'billion',
  'trillion',
  'quadrillion',
  'quintillion',
  'sextillion',
];

/**
 * @typedef {object} CurrencyNames
 * @property {string} one       the major unit, singular ("US dollar")
 * @property {string} many      the major unit, plural ("US dollars")
 * @property {number} exponent  digits of the minor unit (ISO 4217)
 * @property {string} [minorOne]  the minor unit, singular ("cent")
 * @property {string} [minorMany] the minor unit, plural ("cents")
 */

/** @type {Readonly<Record<string, CurrencyNames>>} */
const CURRENCIES = {
  USD: { one: 'US dollar', many: 'US dollars', exponent: 2, minorOne: 'cent', minorMany: 'cents' },
  EUR: { one: 'euro', many: 'euros', exponent: 2, minorOne: 'cent', minorMany: 'cents' },
  GBP: {
    one: 'pound sterling',
    many: 'pounds sterling',
    exponent: 2,
    minorOne: 'penny',
    minorMany: 'pence',
  },
  CAD: {
    one: 'Canadian dollar',
    many: 'Canadian dollars',
    exponent: 2,
    minorOne: 'cent',
    minorMany: 'cents',
  },
  AUD: {
    one: 'Australian dollar',
    many: 'Australian dollars',
    exponent: 2,
    minorOne: 'cent',
    minorMany: 'cents',
  },
  NZD: {
    one: 'New Zealand dollar',
    many: 'New Zealand dollars',
    exponent: 2,
    minorOne: 'cent',
    minorMany: 'cents',
  },
  CHF: {
    one: 'Swiss franc',
    many: 'Swiss francs',
    exponent: 2,
    minorOne: 'centime',
    minorMany: 'centimes',
  },
  SEK: {
    one: 'Swedish krona',
    many: 'Swedish kronor',
    exponent: 2,
    minorOne: 'öre',
    minorMany: 'öre',
  },
  NOK: {
    one: 'Norwegian krone',
    many: 'Norwegian kroner',
    exponent: 2,
    minorOne: 'øre',
    minorMany: 'øre',
  },
  DKK: {
    one: 'Danish krone',
    many: 'Danish kroner',
    exponent: 2,
    minorOne: 'øre',
    minorMany: 'øre',
  },
  MXN: {
    one: 'Mexican peso',
    many: 'Mexican pesos',
    exponent: 2,
    minorOne: 'centavo',
    minorMany: 'centavos',
  },
  BRL: {
    one: 'Brazilian real',
    many: 'Brazilian reais',
    exponent: 2,
    minorOne: 'centavo',
    minorMany: 'centavos',
  },
  INR: {
    one: 'Indian rupee',
    many: 'Indian rupees',
    exponent: 2,
    minorOne: 'paisa',
    minorMany: 'paise',
  },
  CNY: { one: 'yuan', many: 'yuan', exponent: 2, minorOne: 'fen', minorMany: 'fen' },
  HKD: {
    one: 'Hong Kong dollar',
    many: 'Hong Kong dollars',
    exponent: 2,
    minorOne: 'cent',
    minorMany: 'cents',
  },
  SGD: {
    one: 'Singapore dollar',
    many: 'Singapore dollars',
    exponent: 2,
    minorOne: 'cent',
    minorMany: 'cents',
  },
  JPY: { one: 'yen', many: 'yen', exponent: 0 },
  KRW: { one: 'won', many: 'won', exponent: 0 },
  KWD: {
    one: 'Kuwaiti dinar',
    many: 'Kuwaiti dinars',
    exponent: 3,
    minorOne: 'fils',
    minorMany: 'fils',
  },
  BHD: {
    one: 'Bahraini dinar',
    many: 'Bahraini dinars',
    exponent: 3,
    minorOne: 'fils',
    minorMany: 'fils',
  },
};

const FRACTION_NAMES = ['', 'tenth', 'hundredth', 'thousandth', 'ten-thousandth'];

/** @param {number} n 0 to 999 @returns {string} words, or '' for 0 */
function belowThousand(n) {
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  /** @type {string[]} */
  const parts = [];
  if (hundreds > 0) parts.push(`${SMALL[hundreds]} hundred`);
  if (rest > 0 && rest < 20) parts.push(SMALL[rest] ?? '');
  else if (rest >= 20) {
    const unit = rest % 10;
    parts.push(`${TENS[Math.floor(rest / 10)]}${unit > 0 ? `-${SMALL[unit]}` : ''}`);
  }
  return parts.join(' ');
}

/**
 * A whole number in English words: `integerToWords('1205')` is
 * `"one thousand two hundred five"`.
 *
 * @param {string} digits a non-negative whole number as decimal digits (any length up to 24)
 * @returns {string}
 */
export function integerToWords(digits) {
  if (!/^\d+$/.test(digits)) throw new TypeError('integerToWords expects decimal digits');
  const trimmed = digits.replace(/^0+/, '');
  if (trimmed === '') return 'zero';
  if (trimmed.length > SCALES.length * 3) throw new RangeError('the number is too large to read');
  /** @type {string[]} */
  const parts = [];
  const groups = Math.ceil(trimmed.length / 3);
  const padded = trimmed.padStart(groups * 3, '0');
  for (let g = 0; g < groups; g += 1) {
    const value = Number(padded.slice(g * 3, g * 3 + 3));
    if (value === 0) continue;
    const scale = SCALES[groups - 1 - g];
    parts.push(scale ? `${belowThousand(value)} ${scale}` : belowThousand(value));
  }
  return parts.join(' ');
}

/** @param {string} digits @returns {boolean} */
const isOne = (digits) => /^0*1$/.test(digits);

/**
 * An amount of money in words, as a cheque writes it: `amountInWords('25.00', 'USD')` is
 * `"twenty-five US dollars and zero cents"`. Currencies without a name here are read with
 * their code ("twelve CZK and fifty hundredths").
 *
 * @param {string} value a decimal string as on the wire, e.g. `"25.00"` or `"-3.5"`
 * @param {string} currency an ISO 4217 code
 * @returns {string}
 */
export function amountInWords(value, currency) {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
  if (!match) throw new TypeError('amountInWords expects a decimal string such as "12.34"');
  const negative = match[1] === '-';
  const major = match[2] ?? '0';
  const fraction = match[3] ?? '';
  const sign = negative && /[1-9]/.test(major + fraction) ? 'minus ' : '';
  const names = CURRENCIES[currency];
  const fits = names !== undefined && fraction.replace(/0+$/, '').length <= names.exponent;
  if (names && fits) {
    const majorWords = `${integerToWords(major)} ${isOne(major) ? names.one : names.many}`;
    if (names.exponent === 0 || !names.minorOne || !names.minorMany) return sign + majorWords;
    const minor = fraction.padEnd(names.exponent, '0').slice(0, names.exponent);
    const minorWords = `${integerToWords(minor)} ${isOne(minor) ? names.minorOne : names.minorMany}`;
    return `${sign}${majorWords} and ${minorWords}`;
  }
  // Unnamed currency: the code for the unit, and any fraction in tenths, hundredths, …
  const majorWords = `${integerToWords(major)} ${currency}`;
  const fractionName = FRACTION_NAMES[fraction.length];
  if (!/[1-9]/.test(fraction)) return sign + majorWords;
  if (!fractionName)
    return `${sign}${majorWords} point ${fraction
      .split('')
      .map((d) => SMALL[Number(d)])
      .join(' ')}`;
  return `${sign}${majorWords} and ${integerToWords(fraction)} ${fractionName}${isOne(fraction) ? '' : 's'}`;
}

/**
 * The digits of an amount, grouped by thousands for reading: `"12500.00"` → `"12,500.00"`.
 *
 * @param {string} value a decimal string as on the wire
 * @returns {string}
 */
export function groupDigits(value) {
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(value);
  if (!match) return value;
  return `${match[1]}${(match[2] ?? '').replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${match[3] ?? ''}`;
}

/**
 * An amount as the console shows it, in digits and in words:
 * `"25.00 USD — twenty-five US dollars and zero cents"`.
 *
 * @param {{ value: string, currency: string }} money
 * @returns {{ digits: string, words: string, text: string }}
 */
export function describeAmount(money) {
  const digits = `${groupDigits(money.value)} ${money.currency}`;
  let words;
  try {
    words = amountInWords(money.value, money.currency);
  } catch {
    words = '';
  }
  return { digits, words, text: words ? `${digits} — ${words}` : digits };
}
