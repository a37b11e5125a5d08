import { DynamoKpiStore } from '../adapters/dynamo-kpi-store';
import { DynamoNotarizationStore } from '../adapters/dynamo-notarization-store';
import { KpiCounter } from '../core/kpis';
import { Reports } from '../core/reports';
import { cursors } from './keys';
import { once } from './once';

/** The key figures' counter, run by the audit stream's consumer (the audit-export function). */
export const kpiCounter = /* @__PURE__ */ once(() => new KpiCounter(new DynamoKpiStore()));

/** Composition root of the reports function. */
export const reports = /* @__PURE__ */ once(
  () => new Reports(new DynamoKpiStore(), new DynamoNotarizationStore(), cursors()),
);
