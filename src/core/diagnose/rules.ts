/**
 * One rule per failure class, most specific first. Each decides from types, errno and signals;
 * message text is read only where the type cannot tell (a RuntimeError is a CUDA mismatch or a
 * full disk depending on what it says; which module a ModuleNotFoundError lacks).
 */
import { hasType, isType, type Diagnosis, type Evidence } from "./facts.js";
import { DATA_ERRORS, READ_ERRORS, STANDARD_COLUMNS } from "../data/trainers.js";

type Rule = (e: Evidence) => Diagnosis | undefined;

const ENOENT = 2;
const EACCES = 13;
const ENOSPC = 28;
const EDQUOT = 122;
/** A shell or launcher reports a child killed by signal n as exit code 128 + n. */
const SIGNAL_EXIT_BASE = 128;
const SIGNAL_NUMBERS: Record<number, string> = {
  2: "SIGINT",
  4: "SIGILL",
  6: "SIGABRT",
  7: "SIGBUS",
  9: "SIGKILL",
  11: "SIGSEGV",
  15: "SIGTERM",
};

/** Packages of the managed environment (python/requirements.lock), by import name. */
const MANAGED_MODULES = new Set([
  "torch",
  "transformers",
  "trl",
  "peft",
  "datasets",
  "accelerate",
  "tokenizers",
  "safetensors",
  "huggingface_hub",
  "numpy",
  "pyarrow",
  "pandas",
  "jinja2",
  "yaml",
  "requests",
  "httpx",
  "tqdm",
  "fsspec",
  "dill",
  "xxhash",
  "multiprocess",
  "regex",
  "psutil",
  "filelock",
  "packaging",
  "sympy",
  "networkx",
  "trellis_runtime",
]);

const RUNTIME_ERRORS = [
  "RuntimeError",
  "torch.AcceleratorError",
  "torch.cuda.CudaError",
  "AssertionError",
  "OSError",
  "ImportError",
];

const diskFull: Rule = (e) => {
  const byErrno = e.errno === ENOSPC || e.errno === EDQUOT;
  // torch.save and safetensors report a full disk as a RuntimeError / SafetensorError without an
  // errno; torch 2.13 as its zip writer finding fewer bytes written than it asked ("unexpected pos").
  const byWriter =
    hasType(e, "RuntimeError", "SafetensorError") &&
    /No space left on device|PytorchStreamWriter failed writing|file write failed|inline_container\.cc.*unexpected pos|StorageFull|Disk quota exceeded/i.test(
      e.message,
    );
  if (!byErrno && !byWriter) return undefined;
  return {
    cause: "disk_full",
    summary: "the disk is full (no space left on device)",
    fix: "free space where the run writes (the stage output and checkpoints, and the Hugging Face cache in HF_HOME), keep fewer checkpoints (save_total_limit: 1), or put output_dir on a bigger disk",
  };
};

const gpuOutOfMemory: Rule = (e) => {
  const byType = hasType(e, "torch.OutOfMemoryError", "torch.cuda.OutOfMemoryError");
  const byMessage =
    isType(e, "RuntimeError", "torch.AcceleratorError") &&
    /CUDA out of memory|CUBLAS_STATUS_ALLOC_FAILED|MPS backend out of memory|HIP out of memory/.test(e.message);
  if (!byType && !byMessage) return undefined;
  const reference =
    e.trainer === "dpo"
      ? "; DPO without peft keeps a second copy of the model as its reference: LoRA (peft:) or precompute_ref_log_probs: true avoids it"
      : "";
  return {
    cause: "gpu_out_of_memory",
    summary: "the GPU ran out of memory",
    fix: `lower per_device_train_batch_size and raise gradient_accumulation_steps by the same factor (the effective batch stays the same), set gradient_checkpointing: true, lower max_length, or train a LoRA adapter with peft: {r: 16, lora_alpha: 32}${reference}`,
  };
};

const RAM_FIX =
  "reduce memory use: a lower per_device_train_batch_size or max_length, model.dtype: bfloat16, a LoRA adapter (peft:), or a smaller model; in a container, raise its memory limit";

const hostOutOfMemory: Rule = (e) =>
  isType(e, "MemoryError")
    ? { cause: "host_out_of_memory", summary: "the machine ran out of memory (RAM)", fix: RAM_FIX }
    : undefined;

/** The module an import failure names: `No module named 'torch._C'` -> torch._C. */
function missingModule(e: Evidence): string | undefined {
  if (!hasType(e, "ModuleNotFoundError", "ImportError")) return undefined;
  return (
    /No module named '([\w.]+)'/.exec(e.message)?.[1] ??
    /cannot import name '[\w.]+' from '([\w.]+)'/.exec(e.message)?.[1]
  );
}

const brokenEnvironment: Rule = (e) => {
  const module = missingModule(e);
  const top = module?.split(".")[0];
  const nativeLibrary = /(lib[\w+-]+\.so[.\d]*): cannot open shared object file/.exec(e.message)?.[1];
  if (!(top && MANAGED_MODULES.has(top)) && !(nativeLibrary && !CUDA_LIBRARY.test(nativeLibrary))) return undefined;
  const what = top ? `${top} cannot be imported (${firstLine(e.message)})` : `${nativeLibrary} is missing`;
  return {
    cause: "broken_environment",
    summary: `the managed Python environment is broken or incomplete: ${what}`,
    fix: "rebuild it with `trellis env setup --force`; `trellis env doctor` shows which packages differ from the lock",
  };
};

const missingModuleRule: Rule = (e) => {
  const module = isType(e, "ModuleNotFoundError") ? missingModule(e) : undefined;
  if (!module) return undefined;
  const top = module.split(".")[0]!;
  return {
    cause: "missing_module",
    summary: `the Python module '${module}' is not installed in the managed environment`,
    fix: `something the recipe turned on needs it (a model's remote code, an attn_implementation, a report_to integration): install it into the managed venv (\`<venv>/bin/python -m pip install ${top}\`; \`trellis env doctor\` shows the venv) or turn that option off`,
  };
};

const CUDA_LIBRARY =
  /^lib(cudart|cublas|cublasLt|cudnn\w*|nccl|cusparse\w*|cufft|curand|nvrtc|nvJitLink|cusolver|cupti|nvToolsExt)\b/;
const CUDA_MISMATCH = [
  /NVIDIA driver on your system is too old/i,
  /CUDA driver version is insufficient for CUDA runtime version/i,
  /no kernel image is available for execution on the device/i,
  /is not compatible with the current PyTorch installation/i,
  /Found no NVIDIA driver on your system/i,
  /forward compatibility was attempted on non supported HW/i,
  /CUDA error: (?:system not yet initialized|unknown error|initialization error)/i,
  /Torch not compiled with CUDA enabled/,
];

const cudaMismatch: Rule = (e) => {
  const library = /(lib[\w+-]+\.so[.\d]*): cannot open shared object file/.exec(e.message)?.[1];
  const byMessage = isType(e, ...RUNTIME_ERRORS) && CUDA_MISMATCH.some((re) => re.test(e.message));
  if (!byMessage && !(library && CUDA_LIBRARY.test(library))) return undefined;
  const cpuBuild = /Torch not compiled with CUDA enabled/.test(e.message);
  return {
    cause: "cuda_mismatch",
    summary: cpuBuild
      ? "CUDA was asked for, but the managed torch is a CPU-only build"
      : "the installed torch does not work with this machine's NVIDIA driver or GPU",
    fix: "compare the driver's CUDA version (`nvidia-smi`, top right) with torch's (`trellis env doctor`); install a torch built for this driver and GPU (`trellis env setup --reuse-torch /path/to/a/python/whose/torch/works/here`) or update the driver",
  };
};

const SHM_FIX =
  "set dataloader_num_workers: 0; in Docker, shared memory is often too small: run the container with --shm-size=8g (or --ipc=host)";

const dataLoaderWorker: Rule = (e) =>
  isType(e, "RuntimeError") && /DataLoader worker \(pid.*\) (?:exited unexpectedly|is killed by signal)/.test(e.message)
    ? {
        cause: "crashed",
        summary: "a DataLoader worker process died (out of shared memory or RAM, usually)",
        fix: SHM_FIX,
      }
    : undefined;

const distributedTimeout: Rule = (e) =>
  hasType(e, "torch.distributed.DistBackendError") ||
  (isType(e, "RuntimeError") && /Watchdog caught collective operation timeout|NCCL timeout/i.test(e.message))
    ? {
        cause: "distributed_timeout",
        summary: "a distributed collective timed out: one process hung or died while the others waited",
        fix: "find the first error in every rank's log (logs/<stage>.stderr.log); raise ddp_timeout only when a step is expected to take that long",
      }
    : undefined;

const remoteCode: Rule = (e) =>
  hasType(e, "ValueError") && /trust_remote_code=True/.test(e.message)
    ? {
        cause: "remote_code",
        summary: "the model's repository contains its own code, which trellis does not run unless the recipe says so",
        fix: "if you trust that repository, set model.trust_remote_code: true in the recipe (trellis shows it on screen when on)",
      }
    : undefined;

const DATA_FILE_TYPES = [DATA_ERRORS.data_file, ...READ_ERRORS, "UnicodeDecodeError", "json.decoder.JSONDecodeError"];

const dataFile: Rule = (e) =>
  hasType(e, ...DATA_FILE_TYPES)
    ? {
        cause: "data_file",
        summary: "a data file cannot be read",
        fix: "fix or regenerate the file where the message points (JSON lines: one complete JSON object per line, saved as UTF-8)",
      }
    : undefined;

const dataColumns: Rule = (e) => {
  if (hasType(e, DATA_ERRORS.data_columns)) {
    return {
      cause: "data_columns",
      summary: "the data does not fit the stage's trainer",
      fix: "fix or remove the row named, or map your columns to the names the trainer needs with data.columns (e.g. data.columns: {chosen: good, rejected: bad})",
    };
  }
  const column = isType(e, "KeyError") ? /^['"](\w+)['"]$/.exec(e.message.trim())?.[1] : undefined;
  // A KeyError on a column TRL's trainers read is a data problem.
  if (!column || !STANDARD_COLUMNS.includes(column)) return undefined;
  return {
    cause: "data_columns",
    summary: `the data has no column '${column}'`,
    fix: `map the column holding it with data.columns: {${column}: <your column>}`,
  };
};

const hubAccess: Rule = (e) =>
  hasType(e, "GatedRepoError")
    ? {
        cause: "hub_access",
        summary: "the model or dataset is gated or private: this machine may not download it",
        fix: "accept its terms on its Hugging Face page, then log in here (`hf auth login`) or set HF_TOKEN",
      }
    : undefined;

const HUB_NOT_FOUND = [
  "RepositoryNotFoundError",
  "RevisionNotFoundError",
  "EntryNotFoundError",
  "RemoteEntryNotFoundError",
  "LocalEntryNotFoundError",
  "HFValidationError",
  "OfflineModeIsEnabled",
  "DatasetNotFoundError",
  "DataFilesNotFoundError",
];
/** transformers and datasets wrap Hub failures in a plain OSError or ConnectionError; their words tell which. */
const HUB_MESSAGE =
  /is not a local folder|valid model identifier|couldn't connect to|Couldn't reach|does not appear to have a file named|Can't load (?:tokenizer|the configuration|config)|offline mode|Repo id must/i;
const UNREACHABLE =
  /couldn't connect to|Couldn't reach|Max retries exceeded|Temporary failure in name resolution|Connection refused|timed out/i;

/** What could not be found on the Hub or in its cache, from the most specific type. */
function missingFromHub(e: Evidence, offline: boolean): string {
  if (hasType(e, "HFValidationError") || /Repo id must|is not a local folder/i.test(e.message)) {
    return "the model or dataset was not found: the name is neither an existing local folder nor a valid Hub id (org/name)";
  }
  if (hasType(e, "RevisionNotFoundError")) return "the revision asked for does not exist in that repository";
  if (hasType(e, "RepositoryNotFoundError", "DatasetNotFoundError"))
    return "the model or dataset does not exist on the Hugging Face Hub, or is private";
  if (hasType(e, "EntryNotFoundError", "RemoteEntryNotFoundError", "DataFilesNotFoundError"))
    return "a file the model or dataset needs is not in its repository";
  if (offline) return "the model or dataset is not in the local Hugging Face cache";
  if (UNREACHABLE.test(e.message))
    return "the Hugging Face Hub could not be reached (no network?) and the model or dataset is not in the local Hugging Face cache";
  if (hasType(e, "LocalEntryNotFoundError")) return "the model or dataset is not in the local Hugging Face cache";
  return "the model or dataset could not be loaded from the Hugging Face Hub";
}

/** Where a model that cannot be downloaded now can come from instead. */
const LOCAL_COPY_FIX =
  "download it once where the Hub can be reached (it is then cached in HF_HOME, and with it cached HF_HUB_OFFLINE=1 runs without any network), or copy the model folder to this machine and name it in the recipe: model.name: /path/to/folder";

/** The runtime's own error (trellis_runtime.models.HubUnavailableError): its message says which case. */
const hubUnavailable: Rule = (e) =>
  hasType(e, "HubUnavailableError")
    ? {
        cause: "not_found",
        summary:
          "the model is not in the Hugging Face cache and cannot be downloaded now (offline, or the Hub cannot be reached)",
        fix: LOCAL_COPY_FIX,
      }
    : undefined;

const notFound: Rule = (e) => {
  const hub = hasType(e, ...HUB_NOT_FOUND) || (isType(e, "OSError", "ConnectionError") && HUB_MESSAGE.test(e.message));
  if (!hub) {
    return e.errno === ENOENT || isType(e, "FileNotFoundError")
      ? {
          cause: "not_found",
          summary: "a file or folder the stage needs was not found",
          fix: "check the path in the error: a data file, the model folder, or the output of an earlier stage that was moved or deleted",
        }
      : undefined;
  }
  const offline =
    e.offline ||
    hasType(e, "OfflineModeIsEnabled") ||
    /OfflineModeIsEnabled|offline mode is enabled|HF_HUB_OFFLINE/i.test(e.message);
  const what = missingFromHub(e, offline);
  const unreachable = !offline && UNREACHABLE.test(e.message);
  return {
    cause: "not_found",
    summary: offline ? `${what}; the machine is offline (HF_HUB_OFFLINE=1), so nothing is downloaded` : what,
    fix: offline
      ? "check the name (a local model or dataset must be a folder that exists); to download from the Hub, run once online with HF_HUB_OFFLINE unset (it is cached in HF_HOME), or copy it into a local folder and name that (model.name: /path/to/folder)"
      : unreachable
        ? `check the network; ${LOCAL_COPY_FIX}`
        : "check the name and revision on huggingface.co (a local model must be a folder that exists); a private or gated repository needs `hf auth login` or HF_TOKEN",
  };
};

const permissionDenied: Rule = (e) =>
  e.errno === EACCES || isType(e, "PermissionError")
    ? {
        cause: "permission_denied",
        summary: "a file or folder the stage needs cannot be accessed (permission denied)",
        fix: "check the owner and permissions of the path in the error (output_dir, the data files, HF_HOME)",
      }
    : undefined;

const nanLoss: Rule = (e) =>
  e.lastLoss !== undefined && !Number.isFinite(e.lastLoss)
    ? {
        cause: "nan_loss",
        summary: `the training loss became ${Number.isNaN(e.lastLoss) ? "NaN" : "infinite"}: training diverged`,
        fix: "lower learning_rate (and warm up: warmup_ratio: 0.1), keep max_grad_norm: 1.0, check the data for empty or garbled rows; on a GPU use bf16: true rather than fp16: true (fp16 overflows)",
      }
    : undefined;

/** The signal that ended the process: reported by the OS, or as a launcher's 128 + n exit code. */
function signalOf(e: Evidence): string | undefined {
  if (e.signal) return e.signal;
  const n = e.exitCode !== null && e.exitCode > SIGNAL_EXIT_BASE ? e.exitCode - SIGNAL_EXIT_BASE : undefined;
  return n === undefined ? undefined : SIGNAL_NUMBERS[n];
}

const signalled: Rule = (e) => {
  const signal = signalOf(e);
  if (!signal) return undefined;
  if (signal === "SIGKILL") {
    return {
      cause: "killed",
      summary:
        "the Python process was killed by SIGKILL, without a Python error: probably the kernel's out-of-memory killer (the machine ran out of RAM)",
      fix: `check \`dmesg\` (or \`journalctl -k\`) for "Out of memory: Killed process"; ${RAM_FIX}`,
    };
  }
  if (["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"].includes(signal)) {
    return {
      cause: "interrupted",
      summary: `the Python process was killed by ${signal}: stopped from outside`,
      fix: "something else ended it (a job scheduler's time limit, a kill, a closed session); `trellis resume <run>` continues from the newest checkpoint",
    };
  }
  if (["SIGSEGV", "SIGBUS", "SIGILL", "SIGABRT", "SIGFPE"].includes(signal)) {
    const fix =
      signal === "SIGBUS"
        ? SHM_FIX
        : signal === "SIGILL"
          ? "torch was built for CPU instructions this machine lacks: install a torch built for it (`trellis env setup --reuse-torch PYTHON`)"
          : "a native library (torch, CUDA, tokenizers) crashed: `trellis env doctor` shows packages that differ from the lock (`trellis env setup --force` rebuilds them); the stage's stderr log has its last words";
    return {
      cause: "crashed",
      summary: `the Python process was killed by ${signal}: a crash in native code, without a Python error`,
      fix,
    };
  }
  return {
    cause: "killed",
    summary: `the Python process was killed by ${signal}`,
    fix: "find what sent the signal (a job scheduler, a watchdog, another user); `trellis resume <run>` continues from the newest checkpoint",
  };
};

/** Most specific first: a full disk can surface as a data error, a NaN loss precedes many crashes. */
export const RULES: Rule[] = [
  diskFull,
  gpuOutOfMemory,
  hostOutOfMemory,
  cudaMismatch,
  brokenEnvironment,
  missingModuleRule,
  dataLoaderWorker,
  distributedTimeout,
  remoteCode,
  dataFile,
  dataColumns,
  hubAccess,
  hubUnavailable,
  notFound,
  permissionDenied,
  signalled,
  nanLoss,
];

function firstLine(text: string): string {
  const line = text.trim().split("\n", 1)[0] ?? "";
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}
