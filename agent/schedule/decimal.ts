/**
 * Exact decimal arithmetic on bigints for money: 0.1 + 0.2 is 0.3 here. A value is
 * `units / 10^scale`. Numbers from settings (`0.05`) are read through their shortest decimal
 * form, so they mean what the user typed. Rounding is half away from zero, as in spreadsheets.
 */

export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

const pattern = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/** Reads `"12.50"`, `-0.25`, `1e-7`, `5n`. Throws a RangeError on anything else. */
export function dec(value: string | number | bigint | Decimal): Decimal {
  if (typeof value === 'object') return value;
  if (typeof value === 'bigint') return { units: value, scale: 0 };
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new RangeError(`not a finite number: ${value}`);
  }
  const text = String(value).trim();
  const m = pattern.exec(text);
  const whole = m?.[2] ?? '';
  const frac = m?.[3] ?? '';
  if (!m || whole + frac === '')
    throw new RangeError(`not a decimal number: ${JSON.stringify(text)}`);
  const exponent = Number(m[4] ?? 0);
  let units = BigInt((whole || '0') + frac);
  let scale = frac.length - exponent;
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  if (m[1] === '-') units = -units;
  return { units, scale };
}

function rescale(a: Decimal, scale: number): bigint {
  return a.units * 10n ** BigInt(scale - a.scale);
}

export function add(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

export function sub(a: Decimal, b: Decimal): Decimal {
  return add(a, neg(b));
}

export function neg(a: Decimal): Decimal {
  return { units: -a.units, scale: a.scale };
}

export function mul(a: Decimal, b: Decimal): Decimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

export function sum(values: Iterable<Decimal>): Decimal {
  let total: Decimal = { units: 0n, scale: 0 };
  for (const v of values) total = add(total, v);
  return total;
}

/** −1, 0 or 1. */
export function cmp(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const x = rescale(a, scale);
  const y = rescale(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isNegative(a: Decimal): boolean {
  return a.units < 0n;
}

/** Integer division of bigints rounded half away from zero. */
function divRound(n: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError('division by zero');
  const negative = n < 0n !== d < 0n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const q = (an * 2n + ad) / (ad * 2n);
  return negative ? -q : q;
}

/** `a` rounded to `scale` decimal places. */
export function round(a: Decimal, scale: number): Decimal {
  if (a.scale <= scale) return a;
  return { units: divRound(a.units, 10n ** BigInt(a.scale - scale)), scale };
}

/** `a / b` rounded to `scale` decimal places. */
export function div(a: Decimal, b: Decimal, scale: number): Decimal {
  // a/b = (a.units / 10^as) / (b.units / 10^bs); times 10^scale, as an integer.
  const shift = scale + b.scale - a.scale;
  const n = shift >= 0 ? a.units * 10n ** BigInt(shift) : a.units;
  const d = shift >= 0 ? b.units : b.units * 10n ** BigInt(-shift);
  return { units: divRound(n, d), scale };
}

/** Exactly `scale` decimal places: `toFixed(dec('1.005'), 2)` is `"1.01"`. */
export function toFixed(a: Decimal, scale: number): string {
  const r = round(a, scale);
  const units = rescale(r, scale);
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return (negative ? '-' : '') + whole + (scale > 0 ? '.' + frac : '');
}

/** The shortest exact form: `"12.5"`, `"0"`, `"-0.0001"`. */
export function toPlain(a: Decimal): string {
  const fixed = toFixed(a, a.scale);
  const trimmed = fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
  return trimmed === '-0' ? '0' : trimmed;
}

/** For charts and comparisons only: may lose precision. */
export function toNumber(a: Decimal): number {
  return Number(toPlain(a));
}

/** An ERC-20 amount in base units (`1500000`, 6 decimals) as whole tokens (`"1.5"`), exactly. */
export function fromBaseUnits(units: bigint | string, decimals: number): string {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 36) {
    throw new RangeError(`token decimals must be 0–36, got ${decimals}`);
  }
  return toPlain({ units: BigInt(units), scale: decimals });
}

/** Whole tokens (`"1.5"`) as base units (`1500000n`); refuses more decimals than the token has. */
export function toBaseUnits(amount: string, decimals: number): bigint {
  const a = dec(amount);
  const r = round(a, decimals);
  if (cmp(r, a) !== 0) throw new RangeError(`${amount} has more than ${decimals} decimals`);
  return rescale(r, decimals);
}
