// Public surface of reports: the console's network overview and its live feed.
export { createOverviewService, type OverviewService } from './overview.service.js';
export { createLiveHub, startLivePublisher, liveChannel, toLiveEvent, type LiveEvent, type LiveHub } from './live-feed.js';
export { createKpiService, shareBp, type KpiService, type PeriodKpis, type CustomerValue } from './kpi.service.js';
