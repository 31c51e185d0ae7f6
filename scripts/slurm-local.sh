#!/usr/bin/env bash
# A real two-node Slurm cluster on this machine, for tests and CI (docs/design/SLURM_LOCAL.md):
# slurmctld and two slurmd daemons (nodes n1 and n2, on ports of their own) sharing this host.
#
#   scripts/slurm-local.sh start DIR   state, spool, logs and slurm.conf under DIR; prints SLURM_CONF=...
#   scripts/slurm-local.sh stop DIR    scontrol shutdown; munged is ended by the pid it wrote
#
# Needs root and the slurm-wlm and munge packages. Nothing is ever ended by name: other work may
# share the machine.
set -euo pipefail
cmd=${1:?usage: slurm-local.sh start|stop DIR}
D=$(realpath -m "${2:?usage: slurm-local.sh start|stop DIR}")
export SLURM_CONF="$D/slurm.conf"
CTLD_PORT=${TRELLIS_SLURMCTLD_PORT:-16817}
NODE_PORT=${TRELLIS_SLURMD_PORT:-17001}

case "$cmd" in
start)
  mkdir -p "$D/state" "$D/spool/n1" "$D/spool/n2" "$D/log" /etc/munge /run/munge /var/lib/munge /var/log/munge
  [ -f /etc/munge/munge.key ] || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
  chmod 400 /etc/munge/munge.key
  # One munged serves every cluster on the machine: start it only when none answers.
  if ! munge -n >/dev/null 2>&1; then
    munged --force
    echo munged > "$D/munged.started"
  fi
  H=$(hostname -s)
  cat > "$SLURM_CONF" <<CONF
ClusterName=local
SlurmctldHost=$H
SlurmctldPort=$CTLD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool/%n
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd-%n.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
MinJobAge=3600
KillWait=30
NodeName=n1 NodeHostname=$H Port=$NODE_PORT CPUs=1 RealMemory=10000 State=UNKNOWN
NodeName=n2 NodeHostname=$H Port=$((NODE_PORT + 1)) CPUs=1 RealMemory=10000 State=UNKNOWN
PartitionName=debug Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP
CONF
  # Ports are per machine: a cluster already on them would answer for this one.
  if scontrol ping 2>/dev/null | grep -q "is UP"; then
    echo "slurm-local: a slurmctld already answers on port $CTLD_PORT (stop it, or set TRELLIS_SLURMCTLD_PORT and TRELLIS_SLURMD_PORT)" >&2
    exit 1
  fi
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF" -N n1
  slurmd -f "$SLURM_CONF" -N n2
  for _ in $(seq 1 100); do
    if [ "$(sinfo -h -o %t 2>/dev/null | sort -u | tr -d '\n')" = "idle" ]; then
      echo "SLURM_CONF=$SLURM_CONF"
      exit 0
    fi
    sleep 0.2
  done
  echo "slurm-local: the nodes did not come up:" >&2
  sinfo >&2 || true
  tail -5 "$D/log/"*.log >&2 || true
  exit 1
  ;;
stop)
  [ -f "$SLURM_CONF" ] || exit 0
  # Jobs first (their steps outlive the daemons), then the daemons.
  jobs=$(squeue -h -o %i 2>/dev/null || true)
  if [ -n "$jobs" ]; then
    scancel $jobs 2>/dev/null || true
    for _ in $(seq 1 100); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.2; done
  fi
  scontrol shutdown >/dev/null 2>&1 || true
  for f in "$D/slurmctld.pid" "$D"/slurmd-*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  if [ -f "$D/munged.started" ] && [ -f /run/munge/munged.pid ]; then
    kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
  fi
  ;;
*)
  echo "usage: slurm-local.sh start|stop DIR" >&2
  exit 2
  ;;
esac
