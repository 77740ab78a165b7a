import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { periodOf } from '../../../billing/index.js';
import { toCsv } from '../../platform/csv.js';

const tags = ['reports'];
const query = z.object({
  period: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'YYYY-MM')
    .optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

/** Management KPIs: staff who steer the business (finance, sales, operations). */
export const kpiRoutes: FastifyPluginAsyncZod = async (app) => {
  const { kpis, config } = app.services;
  const readers = app.allow('FINANCE', 'SALES', 'OPS');
  const periodOrNow = (p?: string) => p ?? periodOf(new Date(), config.OPERATOR_TIMEZONE);

  app.get(
    '/reports/kpis',
    {
      onRequest: readers,
      schema: { tags, summary: 'KPIs of a period (default: the current month); ?format=csv for a spreadsheet', querystring: query },
    },
    async (req, reply) => {
      const k = await kpis.forPeriod(periodOrNow(req.query.period));
      if (req.query.format === 'json') return k;
      const rows: (string | number)[][] = [
        ['period', k.period],
        ['new customers', k.newCustomers],
        ['churned customers', k.churnedCustomers],
        ['active customers at start', k.activeCustomersAtStart],
        ['churn rate (bp)', k.churnRateBp],
        ['invoiced customers', k.invoicedCustomers],
        ['revenue (minor units)', k.revenueMinor],
        ['ARPU (minor units)', k.arpuMinor],
        ['invoices due', k.invoicesDue],
        ['invoices paid on time', k.invoicesPaidOnTime],
        ['collection score (bp)', k.collectionScoreBp],
        ...Object.entries(k.terminalsByStatus).map(([s, n]) => [`terminals ${s.toLowerCase()}`, n]),
        ...k.messagesPerDay.map((d) => [`messages ${d.day}`, d.messages]),
        ...k.ticketsByGroup.flatMap((g) => [
          [`open tickets ${g.group}`, g.open],
          [`resolution SLA breached ${g.group}`, g.resolutionBreached],
        ]),
      ];
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="kpis-${k.period}.csv"`)
        .send(toCsv([['metric', 'value'], ...rows]));
    },
  );

  app.get(
    '/reports/customer-value',
    {
      onRequest: readers,
      schema: { tags, summary: 'Customer value segments over the 12 months to a period; ?format=csv', querystring: query },
    },
    async (req, reply) => {
      const period = periodOrNow(req.query.period);
      const items = await kpis.customerValue(period);
      if (req.query.format === 'json') return { period, items };
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="customer-value-${period}.csv"`)
        .send(toCsv(items, { header: true }));
    },
  );
};
