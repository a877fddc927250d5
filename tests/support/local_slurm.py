"""The throw-away single-node Slurm cluster of scripts/slurm/local, for the tests labelled slurm.

    with local_slurm.cluster(src, folder, port, env) as env:
        ...  # env has SLURM_CONF set: sbatch, squeue and scripts/slurm/*.sh reach the cluster

Exits 77 (ctest's skip code for these tests) when the machine is not root or has no Slurm.
"""
import contextlib
import os
import shutil
import subprocess


@contextlib.contextmanager
def cluster(src, folder, port, env):
    if os.geteuid() != 0 or not shutil.which("slurmctld") or not shutil.which("sbatch"):
        print("SKIP: needs root and Slurm (slurmctld slurmd slurm-client munge; scripts/setup.sh "
              "installs them)")
        raise SystemExit(77)
    local = os.path.join(src, "scripts", "slurm", "local")
    os.makedirs(folder, exist_ok=True)
    os.chmod(folder, 0o755)  # munged, not root, writes its log under it
    env = dict(env, SLURM_LOCAL_DIR=os.path.join(folder, "cluster"), SLURM_LOCAL_SKIP_INSTALL="1",
               SLURM_LOCAL_PORT=str(port))
    r = subprocess.run([os.path.join(local, "start-local-slurm.sh")], env=env, capture_output=True,
                       text=True)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        raise SystemExit("could not start the local Slurm cluster")
    env["SLURM_CONF"] = os.path.join(folder, "cluster", "etc", "slurm.conf")
    try:
        yield env
    finally:
        subprocess.run([os.path.join(local, "stop-local-slurm.sh")], env=env, capture_output=True)
