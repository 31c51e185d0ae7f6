/** The terminal dashboard: a batched store fed with run events, the Ink view, the final report. */
export { Dashboard, type DashboardProps } from "./dashboard.js";
export { dashboardFrame, type FrameOptions, type Overlay } from "./frame.js";
export { finalSummary, type FinalSummaryOptions } from "./final-summary.js";
export { KEYS, type DashboardCommand } from "./keys.js";
export { createDashboardStore, PUBLISH_INTERVAL_MS, type DashboardStore, type DashboardStoreOptions } from "./store.js";
export { defaultGlyphs, type Theme } from "./theme.js";
export { mountDashboard, type MountedDashboard, type MountOptions } from "./mount.js";
