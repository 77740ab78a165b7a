import { type Stringifier, stringify as stringifyStream } from 'csv-stringify';
import { type Options, stringify } from 'csv-stringify/sync';

// A spreadsheet runs a cell that starts with one of these as a formula (`=HYPERLINK(...)`,
// `@SUM(...)`, DDE through `+cmd|...`); tab and carriage return are stripped by some programs,
// which would bring such a character to the front.
const FORMULA_START = /^[=+\-@\t\r]/;
// A plain signed decimal (a negative amount, `-12.50`) is data, not a formula, and stays as it is.
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?$/;

/**
 * OWASP "CSV injection": a text cell that a spreadsheet would evaluate gets a leading single
 * quote, which makes the program show it as text.
 */
export function neutraliseCell(value: string): string {
  return FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
}

/**
 * Every CSV export of the platform goes through here, so no export writes names, notes or
 * other text that users typed as live spreadsheet formulas.
 */
export function toCsv(records: unknown[], options: Pick<Options, 'header' | 'columns'> = {}): string {
  return stringify(records, { ...options, cast: { string: (value) => neutraliseCell(value) } });
}

/** The streaming form of toCsv, for exports too large to hold: records in (object mode), CSV text out. */
export function csvStream(options: Pick<Options, 'header' | 'columns'> = {}): Stringifier {
  return stringifyStream({ ...options, cast: { string: (value) => neutraliseCell(value) } });
}
