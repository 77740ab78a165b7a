// The invoice as a PDF document (pdfkit, built-in Helvetica; names outside Latin-1 are
// transliterated by pdfkit's standard font as best it can).
import PDFDocument from 'pdfkit';
import type { Customer, Invoice, InvoiceLine } from '../prisma/generated/client.js';
import { balanceOf } from './money.js';
import { localDate } from './period.js';

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

  doc.fontSize(20).text('Nexsphere', { continued: false });
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
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica');
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
