import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  diagnose,
  DIAGNOSIS_CAUSES,
  isOffline,
  type DiagnosisCause,
  type FailureFacts,
} from "../../../src/core/diagnose/diagnose.js";
import { exceptionInTail } from "../../../src/core/diagnose/facts.js";

const base: FailureFacts = { exitCode: 1, signal: null, stderrTail: [], offline: false, trainer: "orpo" };
const facts = (f: Partial<FailureFacts>): FailureFacts => ({ ...base, ...f });

/** [name, facts, expected cause or undefined, patterns the summary + fix must match] */
const CASES: Array<[string, Partial<FailureFacts>, DiagnosisCause | undefined, RegExp[]]> = [
  // GPU out of memory
  [
    "torch.OutOfMemoryError",
    { excType: "torch.OutOfMemoryError", message: "CUDA out of memory. Tried to allocate 2.00 GiB" },
    "gpu_out_of_memory",
    [
      /GPU ran out of memory/,
      /per_device_train_batch_size/,
      /gradient_accumulation_steps/,
      /gradient_checkpointing: true/,
      /max_length/,
      /peft:/,
    ],
  ],
  ["torch.cuda.OutOfMemoryError", { excType: "torch.cuda.OutOfMemoryError", message: "x" }, "gpu_out_of_memory", []],
  [
    "an older torch's RuntimeError: CUDA out of memory",
    { excType: "RuntimeError", message: "CUDA out of memory. Tried to allocate 20.00 MiB" },
    "gpu_out_of_memory",
    [],
  ],
  [
    "OOM in DPO mentions the reference copy",
    { excType: "torch.OutOfMemoryError", message: "", trainer: "dpo" },
    "gpu_out_of_memory",
    [/precompute_ref_log_probs/],
  ],
  [
    "a RuntimeError about something else is not OOM",
    { excType: "RuntimeError", message: "expected scalar type Float but found Half" },
    undefined,
    [],
  ],
  ["MemoryError: the host ran out of RAM", { excType: "MemoryError", message: "" }, "host_out_of_memory", [/RAM/]],
  // Data
  [
    "DataError from the runtime",
    { excType: "trellis_runtime.data.DataError", message: "d.jsonl: line 4, column 'chosen': no value" },
    "data_columns",
    [/data\.columns/],
  ],
  [
    "KeyError on a column name",
    { excType: "KeyError", message: "'rejected'" },
    "data_columns",
    [/no column 'rejected'/, /data\.columns: \{rejected: <your column>\}/],
  ],
  [
    "KeyError on something else is not a data problem",
    { excType: "KeyError", message: "'lm_head.weight'" },
    undefined,
    [],
  ],
  [
    "DataFileError from the runtime",
    { excType: "trellis_runtime.data.DataFileError", message: "d.jsonl: line 3 is cut off" },
    "data_file",
    [/cannot be read/, /UTF-8/],
  ],
  [
    "datasets' DatasetGenerationError",
    {
      excType: "datasets.exceptions.DatasetGenerationError",
      message: "An error occurred while generating the dataset",
      causeTypes: ["pyarrow.lib.ArrowInvalid"],
    },
    "data_file",
    [],
  ],
  [
    "UnicodeDecodeError",
    { excType: "UnicodeDecodeError", message: "'utf-8' codec can't decode byte 0xff" },
    "data_file",
    [],
  ],
  [
    "JSONDecodeError",
    { excType: "json.decoder.JSONDecodeError", message: "Unterminated string starting at: line 1 column 15 (char 14)" },
    "data_file",
    [],
  ],
  // Not found / offline
  [
    "a local model path that does not exist, offline",
    {
      excType: "OSError",
      message: "Repo id must use alphanumeric chars: './no-such-model'.",
      causeTypes: ["huggingface_hub.errors.HFValidationError"],
      offline: true,
    },
    "not_found",
    [/neither an existing local folder nor a valid Hub id/, /offline \(HF_HUB_OFFLINE=1\)/, /HF_HUB_OFFLINE unset/],
  ],
  [
    "a Hub model not in the cache, offline",
    {
      excType: "OSError",
      message: "We couldn't connect to 'https://huggingface.co' to load the files",
      causeTypes: ["huggingface_hub.errors.LocalEntryNotFoundError"],
      offline: true,
    },
    "not_found",
    [/not in the local Hugging Face cache/, /offline/],
  ],
  [
    "a Hub model that cannot be reached, online",
    { excType: "OSError", message: "We couldn't connect to 'https://huggingface.co' to load the files" },
    "not_found",
    [/could not be reached/, /^(?![\s\S]*offline)/],
  ],
  [
    "a Hub model that cannot be reached, online, not cached: the fix names a local copy",
    {
      excType: "OSError",
      message:
        "We couldn't connect to 'https://huggingface.co' to load the files, and couldn't find them in the cached files.",
      causeTypes: ["huggingface_hub.errors.LocalEntryNotFoundError"],
    },
    "not_found",
    [
      /could not be reached .*not in the local Hugging Face cache/,
      /check the network; .*model\.name: \/path\/to\/folder/,
    ],
  ],
  [
    "the runtime's HubUnavailableError (offline or unreachable, not cached)",
    {
      excType: "trellis_runtime.models.HubUnavailableError",
      message:
        "model org/m is not in the Hugging Face cache (/c/hub) and HF_HUB_OFFLINE is set, so nothing is downloaded.",
    },
    "not_found",
    [
      /not in the Hugging Face cache and cannot be downloaded now/,
      /HF_HUB_OFFLINE=1 .*model\.name: \/path\/to\/folder/,
    ],
  ],
  [
    "the error itself says offline",
    { excType: "ConnectionError", message: "Couldn't reach 'org/nope' on the Hub (OfflineModeIsEnabled)" },
    "not_found",
    [/offline/],
  ],
  [
    "RepositoryNotFoundError",
    { excType: "huggingface_hub.errors.RepositoryNotFoundError", message: "404 Client Error" },
    "not_found",
    [/does not exist on the Hugging Face Hub/, /hf auth login/],
  ],
  [
    "RevisionNotFoundError",
    { excType: "OSError", message: "x", causeTypes: ["huggingface_hub.errors.RevisionNotFoundError"] },
    "not_found",
    [/revision/],
  ],
  [
    "datasets' DatasetNotFoundError",
    { excType: "datasets.exceptions.DatasetNotFoundError", message: "Dataset 'org/x' doesn't exist on the Hub" },
    "not_found",
    [],
  ],
  [
    "a gated repository",
    {
      excType: "OSError",
      message: "You are trying to access a gated repo.",
      causeTypes: ["huggingface_hub.errors.GatedRepoError"],
    },
    "hub_access",
    [/gated/, /HF_TOKEN/],
  ],
  [
    "FileNotFoundError (errno 2), offline: a local file, not the Hub",
    { excType: "FileNotFoundError", message: "[Errno 2] No such file or directory: 'x'", errno: 2, offline: true },
    "not_found",
    [/a file or folder the stage needs was not found/, /^(?![\s\S]*(offline|Hugging Face))/],
  ],
  [
    "PermissionError",
    { excType: "PermissionError", message: "[Errno 13] Permission denied: '/out'", errno: 13 },
    "permission_denied",
    [/permission denied/],
  ],
  // CUDA
  [
    "a driver too old for torch",
    { excType: "RuntimeError", message: "The NVIDIA driver on your system is too old (found version 11040)." },
    "cuda_mismatch",
    [/nvidia-smi/, /--reuse-torch/],
  ],
  [
    "no kernel image for this GPU",
    {
      excType: "torch.AcceleratorError",
      message: "CUDA error: no kernel image is available for execution on the device",
    },
    "cuda_mismatch",
    [],
  ],
  [
    "a CPU-only torch asked for CUDA",
    { excType: "AssertionError", message: "Torch not compiled with CUDA enabled" },
    "cuda_mismatch",
    [/CPU-only build/],
  ],
  [
    "a missing CUDA library",
    { excType: "ImportError", message: "libcudnn.so.9: cannot open shared object file: No such file or directory" },
    "cuda_mismatch",
    [],
  ],
  // Environment
  [
    "torch missing from the venv",
    { excType: "ModuleNotFoundError", message: "No module named 'torch'" },
    "broken_environment",
    [/torch cannot be imported/, /trellis env setup --force/],
  ],
  [
    "a partial torch install",
    { excType: "ModuleNotFoundError", message: "No module named 'torch._C'" },
    "broken_environment",
    [],
  ],
  [
    "an ImportError from trl",
    { excType: "ImportError", message: "cannot import name 'DPOTrainer' from 'trl' (/venv/trl/__init__.py)" },
    "broken_environment",
    [],
  ],
  [
    "a module a model's code needs",
    { excType: "ModuleNotFoundError", message: "No module named 'einops'" },
    "missing_module",
    [/'einops' is not installed/, /pip install einops/],
  ],
  [
    "remote code not allowed",
    {
      excType: "ValueError",
      message:
        "The repository x contains custom code which must be executed to correctly load the model. Please pass the argument `trust_remote_code=True` to allow custom code to be run.",
    },
    "remote_code",
    [/trust_remote_code: true/],
  ],
  // Disk
  [
    "ENOSPC from any exception",
    { excType: "OSError", message: "[Errno 28] No space left on device", errno: 28 },
    "disk_full",
    [/disk is full/, /save_total_limit/],
  ],
  [
    "ENOSPC wrapped by datasets",
    {
      excType: "datasets.exceptions.DatasetGenerationError",
      message: "An error occurred while generating the dataset",
      errno: 28,
      causeTypes: ["OSError"],
    },
    "disk_full",
    [],
  ],
  [
    "torch.save on a full disk",
    {
      excType: "RuntimeError",
      message:
        "[enforce fail at inline_container.cc:603] . PytorchStreamWriter failed writing file data/3: file write failed",
    },
    "disk_full",
    [],
  ],
  [
    // What torch 2.13 raises when a checkpoint's optimizer.pt meets a full tmpfs (seen for real).
    "torch.save of a checkpoint on a full disk, torch 2.13",
    { excType: "RuntimeError", message: "[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534" },
    "disk_full",
    [/disk is full/],
  ],
  [
    "safetensors on a full disk",
    {
      excType: "safetensors._safetensors_rust.SafetensorError",
      message: "Error while serializing: I/O error: No space left on device (os error 28)",
    },
    "disk_full",
    [],
  ],
  // Signals
  [
    "SIGKILL without an exception",
    { exitCode: null, signal: "SIGKILL" },
    "killed",
    [/killed by SIGKILL/, /out-of-memory killer/, /dmesg/, /per_device_train_batch_size/],
  ],
  ["exit code 137 from a launcher", { exitCode: 137 }, "killed", [/SIGKILL/]],
  ["SIGSEGV", { exitCode: null, signal: "SIGSEGV" }, "crashed", [/SIGSEGV/, /trellis env doctor/]],
  ["SIGBUS in a container", { exitCode: null, signal: "SIGBUS" }, "crashed", [/--shm-size/]],
  [
    "a DataLoader worker that died",
    { excType: "RuntimeError", message: "DataLoader worker (pid(s) 4242) exited unexpectedly" },
    "crashed",
    [/DataLoader worker/, /dataloader_num_workers: 0/],
  ],
  ["SIGTERM", { exitCode: null, signal: "SIGTERM" }, "interrupted", [/SIGTERM/, /trellis resume/]],
  ["another signal is named", { exitCode: null, signal: "SIGUSR1" }, "killed", [/SIGUSR1/]],
  // Loss
  [
    "a NaN loss with an unrecognised exception",
    {
      excType: "RuntimeError",
      message: "Function 'LogSoftmaxBackward0' returned nan values in its 0th output.",
      lastLoss: NaN,
    },
    "nan_loss",
    [/NaN/, /learning_rate/, /bf16/],
  ],
  ["an infinite loss", { lastLoss: Infinity }, "nan_loss", [/infinite/]],
  ["a finite loss says nothing", { lastLoss: 0.5 }, undefined, []],
  ["SIGKILL wins over a NaN loss", { exitCode: null, signal: "SIGKILL", lastLoss: NaN }, "killed", []],
  [
    "OOM wins over a NaN loss",
    { excType: "torch.OutOfMemoryError", message: "", lastLoss: NaN },
    "gpu_out_of_memory",
    [],
  ],
  // Unknown
  ["an exception no rule knows", { excType: "ValueError", message: "something odd" }, undefined, []],
  ["exit code 1 with nothing else", {}, undefined, []],
];

describe("diagnose", () => {
  for (const [name, f, cause, patterns] of CASES) {
    it(`${name} -> ${cause ?? "no diagnosis"}`, () => {
      const d = diagnose(facts(f));
      assert.equal(d?.cause, cause);
      for (const re of patterns) assert.match(`${d!.summary} | ${d!.fix}`, re);
      if (d) {
        assert.ok(DIAGNOSIS_CAUSES.includes(d.cause));
        assert.doesNotMatch(`${d.summary}${d.fix}`, /\n/, "one line each");
        assert.doesNotMatch(d.summary, /[.;]$/, "the caller adds the punctuation");
      }
    });
  }

  it("reads the exception from the stderr tail when no error event came", () => {
    const tail = [
      "Traceback (most recent call last):",
      '  File "stage-1-orpo.py", line 53, in <module>',
      "    from trellis_runtime import environment",
      "ModuleNotFoundError: No module named 'transformers'",
    ];
    assert.equal(diagnose(facts({ stderrTail: tail }))?.cause, "broken_environment");
  });
});

describe("exceptionInTail", () => {
  it("takes the last traceback's exception, not an earlier chained one", () => {
    const tail = [
      "Traceback (most recent call last):",
      '  File "a.py", line 1, in <module>',
      "FileNotFoundError: [Errno 2] nope",
      "",
      "The above exception was the direct cause of the following exception:",
      "",
      "Traceback (most recent call last):",
      '  File "a.py", line 3, in <module>',
      "torch.OutOfMemoryError: CUDA out of memory",
      "some later log line",
    ];
    assert.deepEqual(exceptionInTail(tail), { excType: "torch.OutOfMemoryError", message: "CUDA out of memory" });
  });
  it("finds an exception line whose traceback header scrolled out of the tail", () => {
    assert.deepEqual(exceptionInTail(["    raise KeyError(name)", "KeyError: 'chosen'"]), {
      excType: "KeyError",
      message: "'chosen'",
    });
  });
  it("ignores log lines that look like 'Name: text'", () => {
    assert.equal(exceptionInTail(["INFO: loading", "Warning: something"]), undefined);
  });
});

describe("isOffline", () => {
  for (const [env, expected] of [
    [{ HF_HUB_OFFLINE: "1" }, true],
    [{ HF_HUB_OFFLINE: "true" }, true],
    [{ TRANSFORMERS_OFFLINE: "YES" }, true],
    [{ HF_HUB_OFFLINE: "0" }, false],
    [{}, false],
  ] as const) {
    it(`${JSON.stringify(env)} -> ${expected}`, () => assert.equal(isOffline(env), expected));
  }
});
