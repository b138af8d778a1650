#!/usr/bin/env bash
# Starts a throwaway single-node SLURM cluster on loopback, entirely inside DIR:
#   tests/slurm/start-cluster.sh DIR
# munged (with a key generated here), slurmctld and slurmd (one node: this host, all its CPUs), no
# cgroups, no accounting database. Prints the line `export SLURM_CONF=DIR/slurm.conf`; every SLURM
# client command (sbatch, squeue, scontrol) must see that variable. Stop with stop-cluster.sh DIR.
# Needs the Debian packages slurmctld, slurmd and munge, and root (slurmd runs jobs as their user).
set -euo pipefail

dir=${1:?usage: start-cluster.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
chmod 700 "$dir/munge"

for bin in munged mungekey slurmctld slurmd sbatch scontrol; do
  command -v "$bin" >/dev/null || { echo "start-cluster.sh: $bin not found (apt-get install -y slurmctld slurmd munge)" >&2; exit 3; }
done

# Ports: free ones picked here, so a cluster already running on the machine is left alone.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
ctld_port=$(free_port)
slurmd_port=$(free_port)
while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done

node=$(hostname -s)
cpus=$(nproc)
memory_mb=$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)

# munge: a fresh key, the daemon on a socket inside DIR.
mungekey --create --keyfile="$dir/munge/munge.key" --force
chmod 400 "$dir/munge/munge.key"
munged --force \
  --socket="$dir/munge/munge.sock" \
  --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/munge/munged.pid" \
  --log-file="$dir/log/munged.log" \
  --seed-file="$dir/munge/munged.seed"

cat > "$dir/slurm.conf" <<CONF
ClusterName=lmsscc-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$(id -un)
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.sock
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge=3600
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
# cgroup.conf is read by slurmd even with cgroups off; an empty one keeps it from guessing.
: > "$dir/cgroup.conf"

export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"

# Wait until the node is idle (registered and schedulable).
for _ in $(seq 1 60); do
  state=$(sinfo -h -n "$node" -o %t 2>/dev/null || true)
  case "$state" in
    idle*) echo "export SLURM_CONF=$SLURM_CONF"; exit 0 ;;
  esac
  sleep 1
done
echo "start-cluster.sh: node $node did not become idle within 60 s (state '${state:-none}'); logs in $dir/log" >&2
tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
exit 1
