/** Sizes as docker words them (go-units HumanSize), for the CLI's columns and the API's progress bars. */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** Go's `%.<precision>g`: significant digits, trailing zeros dropped, `e+NN` for big exponents. */
function goFormatG(value: number, precision: number): string {
  const [mantissa, exponent] = value.toExponential(precision - 1).split('e') as [string, string];
  const exp = Number(exponent);
  if (exp < -4 || exp >= precision) {
    const digits = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
    return `${digits}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(Number(value.toPrecision(precision)));
}

/**
 * `4.26MB`, `512B`: go-units HumanSizeWithPrecision (decimal units); precision 3 is what docker's
 * SIZE columns use, 4 is go-units' HumanSize.
 */
export function humanSize(bytes: number, precision = 3): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${goFormatG(value, precision)}${UNITS[unit]}`;
}
