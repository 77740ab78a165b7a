// The invoice as a PDF document (pdfkit). Text is set in Noto Sans SC (the @embedpdf/fonts-sc
// package), which covers Latin and Chinese, so customer names, addresses and line labels in
// Chinese print as written. pdfkit embeds only the glyphs a document uses (a subset): an invoice
// is ~80-100 kB, nearly all of it the font's subroutine index, which the subset keeps whole.
// Fonts are parsed once per process and shared by every document: parsing and laying out the
// 8 MB font per invoice cost ~5x the time of the rest of the PDF.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as fontkit from 'fontkit';
import PDFDocument from 'pdfkit';
import type { Customer, Invoice, InvoiceLine } from '../prisma/generated/client.js';
import { balanceOf } from './money.js';
import { localDate } from './period.js';

const FONT_FILES = { regular: 'NotoSansHans-Regular.otf', bold: 'NotoSansHans-Bold.otf' } as const;
let fonts: Record<keyof typeof FONT_FILES, fontkit.Font> | null = null;

function cjkFonts(): Record<keyof typeof FONT_FILES, fontkit.Font> {
  if (!fonts) {
    // The package exports only its index; the .otf files sit beside it in fonts/.
    const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('@embedpdf/fonts-sc')), '..', 'fonts');
    const load = (file: string) => fontkit.create(readFileSync(path.join(dir, file)));
    fonts = { regular: load(FONT_FILES.regular), bold: load(FONT_FILES.bold) };
  }
  return fonts;
}

const money = (v: bigint) => {
  const neg = v < 0n;
  const a = neg ? -v : v;
  return `${neg ? '-' : ''}${(a / 100n).toLocaleString('en-US')}.${String(a % 100n).padStart(2, '0')}`;
};
const price = (micros: bigint) => (Number(micros) / 1_000_000).toFixed(6).replace(/0{1,4}$/, '');

export function renderInvoicePdf(input: {
  invoice: Invoice;
  lines: InvoiceLine[];
  customer: Customer;
  contractNumber: string;
  timeZone: string;
}): Promise<Buffer> {
  const { invoice, customer, timeZone } = input;
  const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: `Invoice ${invoice.number ?? ''}`, Author: 'Nexsphere' } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const cjk = cjkFonts();
  // pdfkit takes a parsed fontkit font as well as a file (its types name only files and buffers).
  doc.registerFont('Body', cjk.regular as unknown as Buffer);
  doc.registerFont('Body-Bold', cjk.bold as unknown as Buffer);
  doc.font('Body');

  doc.font('Body-Bold').fontSize(20).text('Nexsphere', { continued: false });
  doc.font('Body');
  doc.fontSize(14).text(`Invoice ${invoice.number ?? '(draft)'}`);
  doc.moveDown(0.5).fontSize(10);
  doc.text(`Period: ${invoice.period}    Contract: ${input.contractNumber}`);
  if (invoice.issuedAt)
    doc.text(`Issued: ${localDate(invoice.issuedAt, timeZone)}    Due: ${invoice.dueAt ? localDate(invoice.dueAt, timeZone) : '-'}`);
  doc.moveDown(0.5);
  doc.text(`Bill to: ${customer.name}`);
  for (const l of [
    customer.addressLine,
    [customer.postalCode, customer.city].filter(Boolean).join(' '),
    customer.country,
    customer.taxId && `Tax id: ${customer.taxId}`,
  ]) {
    if (l) doc.text(l);
  }
  doc.moveDown();

  const cols = [50, 330, 400, 470];
  const row = (cells: string[], bold = false) => {
    const y = doc.y;
    doc.font(bold ? 'Body-Bold' : 'Body');
    doc.text(cells[0]!, cols[0], y, { width: 275 });
    const h = doc.y;
    doc.text(cells[1]!, cols[1], y, { width: 65, align: 'right' });
    doc.text(cells[2]!, cols[2], y, { width: 65, align: 'right' });
    doc.text(cells[3]!, cols[3], y, { width: 75, align: 'right' });
    doc.y = Math.max(h, doc.y) + 4;
    doc.x = cols[0]!;
  };
  row(['Description', 'Quantity', `Unit (${invoice.currency})`, `Amount (${invoice.currency})`], true);
  for (const l of [...input.lines].sort((a, b) => a.position - b.position)) {
    row([l.description, l.quantity.toString(), l.kind === 'TAX' ? '' : price(l.unitPriceMicros), money(l.amountMinor)]);
  }
  doc.moveDown();
  row(['Subtotal', '', '', money(invoice.subtotalMinor)]);
  row(['Tax', '', '', money(invoice.taxMinor)]);
  row(['Total', '', '', money(invoice.totalMinor)], true);
  if (invoice.paidMinor > 0n || invoice.creditedMinor > 0n) {
    row(['Paid', '', '', money(invoice.paidMinor)]);
    row(['Credited', '', '', money(invoice.creditedMinor)]);
    row(['Balance due', '', '', money(balanceOf(invoice))], true);
  }
  doc.end();
  return done;
}
