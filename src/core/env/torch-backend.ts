/**
 * Which build of torch the managed environment gets: one complete lock per backend
 * (python/requirements*.lock, made by python/tools/make_locks.py), chosen by name or, with
 * `auto`, from the CUDA version the NVIDIA driver supports.
 */

export const TORCH_BACKENDS = ["cpu", "cu126", "cu128", "cu130"] as const;
export type TorchBackend = (typeof TORCH_BACKENDS)[number];
export const BACKEND_CHOICES = ["auto", ...TORCH_BACKENDS] as const;
type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** The lock of each backend, in python/. The CPU one keeps the name every tool already reads. */
export const LOCK_FILES: Record<TorchBackend, string> = {
  cpu: "requirements.lock",
  cu126: "requirements-cu126.lock",
  cu128: "requirements-cu128.lock",
  cu130: "requirements-cu130.lock",
};

/** The CUDA runtime each build carries, and the oldest driver (Linux) that runs it (NVIDIA's tables). */
const CUDA_OF: Record<Exclude<TorchBackend, "cpu">, { cuda: string; driver: string }> = {
  cu126: { cuda: "12.6", driver: "525" },
  cu128: { cuda: "12.8", driver: "570" },
  cu130: { cuda: "13.0", driver: "580" },
};

export function isBackendChoice(text: string): text is BackendChoice {
  return (BACKEND_CHOICES as readonly string[]).includes(text);
}

/** "12.8" -> [12, 8]; undefined when it is not a CUDA version. */
function cudaNumbers(text: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** True when a driver supporting CUDA `driverCuda` runs a torch built for CUDA `torchCuda`. */
export function driverRuns(driverCuda: string, torchCuda: string): boolean {
  const d = cudaNumbers(driverCuda);
  const t = cudaNumbers(torchCuda);
  if (!d || !t) return false;
  // Conservative: CUDA's minor version compatibility would let a 12.4 driver run some 12.8 code,
  // but not all of it (no PTX JIT); torch's own guidance is the driver of the build's CUDA or newer.
  return d[0] > t[0] || (d[0] === t[0] && d[1] >= t[1]);
}

/**
 * `auto`: the newest build the driver runs, cpu without a driver (or one too old for every build).
 * `available` limits the choice to the backends this trellis has a lock for.
 */
export function chooseBackend(
  driverCuda: string | undefined,
  available: readonly TorchBackend[] = TORCH_BACKENDS,
): { backend: TorchBackend; why: string } {
  if (driverCuda === undefined) return { backend: "cpu", why: "no NVIDIA driver found (nvidia-smi)" };
  const fits = (["cu130", "cu128", "cu126"] as const).filter(
    (b) => available.includes(b) && driverRuns(driverCuda, CUDA_OF[b].cuda),
  );
  const best = fits[0];
  if (best) return { backend: best, why: `the NVIDIA driver supports CUDA ${driverCuda}` };
  return {
    backend: "cpu",
    why: `the NVIDIA driver supports CUDA ${driverCuda}, older than every CUDA build trellis has a lock for (${available.filter((b) => b !== "cpu").join(", ") || "none"})`,
  };
}

/** The CUDA version a backend's torch is built for; undefined for cpu. */
export function cudaOf(backend: TorchBackend): string | undefined {
  return backend === "cpu" ? undefined : CUDA_OF[backend].cuda;
}

/**
 * What `env doctor` says of the driver and torch's CUDA build: undefined when they fit (or there is
 * no GPU driver and a CPU torch), else the problem with its fix.
 */
export function cudaFitProblem(driverCuda: string | undefined, torchCuda: string | undefined): string | undefined {
  if (driverCuda === undefined) return undefined; // no GPU here: a CUDA torch falls back to the CPU, which is fine
  if (torchCuda === undefined) {
    return `the NVIDIA driver (CUDA ${driverCuda}) is there but torch is a CPU build: run \`trellis env setup --torch-backend auto\``;
  }
  if (driverRuns(driverCuda, torchCuda)) return undefined;
  const fallback = chooseBackend(driverCuda).backend;
  return `torch is built for CUDA ${torchCuda} but the NVIDIA driver supports only CUDA ${driverCuda}: run \`trellis env setup --torch-backend ${fallback}\`, or update the driver`;
}

/** Packages that come with a CUDA torch only: left out when torch is borrowed from another environment. */
export function isTorchRuntimePackage(name: string): boolean {
  const n = name.toLowerCase().replace(/[-_.]+/g, "-");
  return n === "torch" || n === "triton" || n.startsWith("nvidia-") || n.startsWith("cuda-");
}
