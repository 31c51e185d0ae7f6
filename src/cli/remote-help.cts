/** `--help` of the GPU-server commands (docs/remote.md). CommonJS, as help.cts, for bin/trellis.js. */
const ON_OPTION = `  --on HOST            do it on a server over your own ssh: an alias from ~/.ssh/config,
                       user@host or host:port (run, check, resume, attach, ls, logs, stop)`;

const PULL_HELP = `Usage: trellis pull [run-id] --on HOST [--model] [--to DIR]

Copies a run folder from a server back here with rsync over your ssh (into runs/<host>/<run-id>
unless --to), with progress; a cut copy resumes where it stopped when run again. Checkpoints stay
on the server. Without --model the final model (the run's output/) stays there too.

  --on HOST            the server (as for run --on)
  --model              bring the final model or adapter as well (output/ in the run folder)
  --to DIR             where the run folder goes (default runs/<host>)
`;

const HOSTS_HELP = `Usage: trellis hosts [--json]

The servers used with --on before (kept in ~/.config/trellis/hosts.json), each asked now over ssh
for its GPUs (nvidia-smi), free disk in the home folder and the number of runs in ~/trellis/runs.
`;

export = { ON_OPTION, PULL_HELP, HOSTS_HELP };
