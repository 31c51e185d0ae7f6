/** Training-health rules: pure functions from run events to alerts. */
export {
  ALERT_FAMILY,
  familiesFor,
  isPreference,
  severityRank,
  type Alert,
  type AlertId,
  type HealthFamily,
  type Severity,
} from "./alert.js";
export {
  initialHealth,
  observeGpu,
  observeHealth,
  observeMetrics,
  observeOutput,
  type HealthResult,
  type HealthState,
} from "./monitor.js";
export { DEFAULT_HEALTH_OPTIONS, healthOptions, type HealthOptions } from "./options.js";
export { METRIC_RULES } from "./rules.js";
