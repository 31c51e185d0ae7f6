// The managed Python environment: build it once from the lock, reuse it after, and check it.
export { ensureEnvironment, type EnsureOptions, type EnsureResult } from "./ensure.js";
export { doctor, KEY_PACKAGES, type DoctorOptions, type DoctorReport, type PackageCheck } from "./doctor.js";
export { formatDoctor, type FormatDoctorOptions } from "./format-doctor.js";
export { EnvironmentError, ENVIRONMENT_EXIT_CODE, CANCELED_EXIT_CODE } from "./errors.js";
export { cacheRoot, venvPython, installLogPath } from "./paths.js";
export { LINKING, type InstallProgress, type InstallPhase } from "./pip-progress.js";
export type { TorchInfo } from "./python-info.js";
export { extrasKey, extrasLayout, BASE_PTH_FILE, type ExtraLock } from "./extras-venv.js";
