import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per process (tests build several apps in one process, so no global default). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Read at scrape time from whoever owns the data (webhooks: the database), in any process.
  let webhookLagSource: (() => Promise<{ endpointId: string; lagSec: number }[]>) | null = null;
  return {
    registry,
    /** Where nx_webhook_endpoint_lag_seconds comes from at each scrape. */
    setWebhookLagSource(fn: () => Promise<{ endpointId: string; lagSec: number }[]>): void {
      webhookLagSource = fn;
    },
    httpDuration: new Histogram({
      name: 'nx_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    mqttConnects: new Counter({
      name: 'nx_mqtt_connects_total',
      help: 'MQTT connect attempts by result',
      labelNames: ['result'],
      registers: [registry],
    }),
    mqttDenied: new Counter({
      name: 'nx_mqtt_denied_total',
      help: 'Denied MQTT publishes and subscriptions',
      labelNames: ['kind', 'reason'],
      registers: [registry],
    }),
    uplinks: new Counter({
      name: 'nx_uplinks_total',
      help: 'Stored uplink messages',
      labelNames: ['kind', 'decoded'],
      registers: [registry],
    }),
    ingestBatch: new Histogram({
      name: 'nx_ingest_batch_size',
      help: 'Messages per ingest transaction',
      buckets: [1, 5, 20, 50, 100, 250, 500, 1000],
      registers: [registry],
    }),
    loopStalled: new Gauge({
      name: 'nx_background_loop_stalled',
      help: '1 while a background loop has work and has not advanced',
      labelNames: ['loop'],
      registers: [registry],
    }),
    loopProgressAge: new Gauge({
      name: 'nx_background_loop_progress_age_seconds',
      help: 'Seconds since a background loop last advanced (any process)',
      labelNames: ['loop'],
      registers: [registry],
    }),
    webhookEndpointLag: new Gauge({
      name: 'nx_webhook_endpoint_lag_seconds',
      help: 'Age of the oldest event not yet delivered to a webhook endpoint (endpoints with pending deliveries)',
      labelNames: ['endpoint'],
      registers: [registry],
      async collect() {
        if (!webhookLagSource) return;
        const lags = await webhookLagSource();
        this.reset();
        for (const l of lags) this.set({ endpoint: l.endpointId }, l.lagSec);
      },
    }),
    loopPendingAge: new Gauge({
      name: 'nx_background_loop_pending_age_seconds',
      help: 'Age of the oldest work waiting for a loop',
      labelNames: ['loop'],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
