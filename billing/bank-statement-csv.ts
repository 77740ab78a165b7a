// Reading a bank statement CSV (date, amount, payer, reference[, currency]) into exact lines,
// refusing what could hurt: files too large, amounts that are not plain decimals, cells that a
// spreadsheet would run as formulas, control characters. Every refusal names the line and field.
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { type FieldError, invalid } from '../src/platform/errors.js';

export const MAX_STATEMENT_BYTES = 2 * 1024 * 1024;
export const MAX_STATEMENT_LINES = 5_000;
const MAX_TEXT = 200;
const MAX_ERRORS = 20;
const REQUIRED = ['date', 'amount', 'payer', 'reference'] as const;

// The same test as src/platform/csv.ts's export guard: = + - @ tab or CR first.
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_AMOUNT = /^([+-]?)(\d{1,13})(?:\.(\d{1,2}))?$/;
// Control characters other than none at all: a statement cell is one line of text.
const CONTROL = /\p{Cc}/u;

export interface StatementLine {
  lineNumber: number;
  bookedOn: string;
  amountMinor: bigint;
  currency: string;
  payer: string;
  reference: string;
  /** sha256 of date, amount, currency, reference, payer and the ordinal among identical lines. */
  hash: string;
}

/** "1234.5" -> 123450n fen, exactly (no floating point on the way). */
export function parseAmount(text: string): bigint | null {
  const m = PLAIN_AMOUNT.exec(text);
  if (!m) return null;
  const minor = BigInt(m[2]!) * 100n + BigInt((m[3] ?? '').padEnd(2, '0'));
  return m[1] === '-' ? -minor : minor;
}

function validDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(text);
}

function checkText(value: string, line: number, field: string, errors: FieldError[]): void {
  if (value.length > MAX_TEXT) errors.push({ path: `line ${line}.${field}`, message: `Longer than ${MAX_TEXT} characters` });
  else if (CONTROL.test(value)) errors.push({ path: `line ${line}.${field}`, message: 'Contains a control character' });
  else if (FORMULA_START.test(value))
    errors.push({ path: `line ${line}.${field}`, message: 'Starts like a spreadsheet formula (= + - @)' });
}

/** Parses and checks the whole file; any bad line refuses the file (nothing is imported). */
export function readStatement(text: string): { lines: StatementLine[]; sha256: string } {
  if (Buffer.byteLength(text) > MAX_STATEMENT_BYTES)
    throw invalid(`A statement may have at most ${MAX_STATEMENT_BYTES} bytes`, [{ path: 'csv', message: 'Too large' }]);
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, {
      columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      bom: true,
      info: true,
      max_record_size: 4096,
      to_line: MAX_STATEMENT_LINES + 2,
    });
  } catch (err) {
    const e = err as { message: string; lines?: number };
    throw invalid(`The file is not valid CSV: ${e.message}`, [{ path: e.lines ? `line ${e.lines}` : 'csv', message: 'Not valid CSV' }]);
  }
  if (records.length === 0) throw invalid('The statement has no lines', [{ path: 'csv', message: 'Empty' }]);
  if (records.length > MAX_STATEMENT_LINES)
    throw invalid(`A statement may have at most ${MAX_STATEMENT_LINES} lines`, [{ path: 'csv', message: 'Too many lines' }]);
  const columns = Object.keys(records[0]!.record);
  const missing = REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length)
    throw invalid(`Missing columns: ${missing.join(', ')}`, [{ path: 'line 1', message: `Expected ${REQUIRED.join(', ')}` }]);

  const errors: FieldError[] = [];
  const lines: StatementLine[] = [];
  const seen = new Map<string, number>();
  for (const { record: r, info } of records) {
    if (errors.length >= MAX_ERRORS) break;
    const line = info.lines;
    const date = r.date ?? '';
    const amountText = r.amount ?? '';
    const payer = r.payer ?? '';
    const reference = r.reference ?? '';
    const currency = (r.currency ?? '').toUpperCase() || 'CNY';
    const before = errors.length;
    if (!validDate(date)) errors.push({ path: `line ${line}.date`, message: 'Expected a date YYYY-MM-DD' });
    const amount = parseAmount(amountText);
    if (amount === null)
      errors.push({ path: `line ${line}.amount`, message: 'Expected a plain amount such as 1234.50 (at most 2 decimals)' });
    else if (amount === 0n) errors.push({ path: `line ${line}.amount`, message: 'Must not be zero' });
    if (!/^[A-Z]{3}$/.test(currency)) errors.push({ path: `line ${line}.currency`, message: 'Expected an ISO 4217 code such as CNY' });
    checkText(payer, line, 'payer', errors);
    checkText(reference, line, 'reference', errors);
    if (!payer && !reference) errors.push({ path: `line ${line}.reference`, message: 'A line needs a payer or a reference' });
    if (errors.length > before || amount === null) continue;
    const key = [date, String(amount), currency, reference, payer].join('\u001f');
    const ordinal = (seen.get(key) ?? 0) + 1;
    seen.set(key, ordinal);
    const hash = createHash('sha256').update(`${key}\u001f${ordinal}`).digest('hex');
    lines.push({ lineNumber: line, bookedOn: date, amountMinor: amount, currency, payer, reference, hash });
  }
  if (errors.length)
    throw invalid(`The statement has ${errors.length}${errors.length >= MAX_ERRORS ? '+' : ''} bad fields; nothing was imported`, errors);
  return { lines, sha256: createHash('sha256').update(text).digest('hex') };
}
