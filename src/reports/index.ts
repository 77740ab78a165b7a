// Public surface of reports: the console's network overview and its live feed.

export { type CustomerValue, createKpiService, type KpiService, type PeriodKpis, shareBp } from './kpi.service.js';
export { createLiveHub, type LiveEvent, type LiveHub, liveChannel, startLivePublisher, toLiveEvent } from './live-feed.js';
export { createOverviewService, type OverviewService } from './overview.service.js';
export { createSearchService, type SearchService } from './search.service.js';
