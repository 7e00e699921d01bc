#!/usr/bin/env bash
# The sample jobs through a real SFTP server: a throwaway OpenSSH sshd on 127.0.0.1 (its own
# host key and client key, like the tests' server), started and stopped by this script.
# The jobs are the ones in samples/jobs, copied to out/sftp-demo/ with only the endpoint file
# switched from the drop folder to the server. Installs openssh-server when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if [ ! -x /usr/sbin/sshd ]; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >/dev/null
fi
python3 -m venv .venv
.venv/bin/python -m pip install -q -e .

rm -rf out/sftp-demo
mkdir -p out/sftp-demo
.venv/bin/python - <<'PY'
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

demo = Path("out/sftp-demo").resolve()
# The tests' sshd recipe, loaded by path: one recipe for tests, benchmark and this demo.
spec = importlib.util.spec_from_file_location("demo_sshd", "tests/sftp/sshd.py")
assert spec is not None and spec.loader is not None
sshd = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = sshd
spec.loader.exec_module(sshd)

server_folder = demo / "server"
server_folder.mkdir()
sshd.prepare_keys(server_folder)
(server_folder / "root" / "outbox").mkdir(parents=True)
(server_folder / "root" / "inbox").mkdir()
server = sshd.SshServer(folder=server_folder, root=server_folder / "root")

# The sample jobs keep their relative paths; the endpoint file is the one thing switched.
samples = demo / "samples"
shutil.copytree("samples/jobs", samples / "jobs")
shutil.copytree("samples/catalog", samples / "catalog")
shutil.copy("samples/erp-payables.csv", samples)
endpoint = server.endpoint_data(name="demo-bank", folders={"outbox": "outbox", "inbox": "inbox"})
endpoint["pickup"]["include"] = ["*.sta"]
(samples / "jobs" / "endpoints" / "demo-bank.yaml").write_text(yaml.safe_dump(endpoint))

environment = dict(os.environ, ERENGINE_DATA_DIR=str(demo / "data"))


def erengine(*arguments: str) -> None:
    print("$ erengine", " ".join(arguments), flush=True)
    subprocess.run([".venv/bin/erengine", *arguments], check=True, env=environment,
                   stderr=subprocess.DEVNULL)


server.start()
try:
    jobs = samples / "jobs"
    payments = str(jobs / "acme-supplier-payments.yaml")
    erengine("run", payments, "--period", "2024-03-04", "--now", "2024-03-04T09:00:00")
    erengine("run", payments, "--period", "2024-03-04")  # the same batch: sends nothing
    # The bank drops a statement on its server; the pickup job reads it once.
    shutil.copy(jobs / "bank-drop" / "stmt-0301.sta", server.root / "inbox")
    erengine("run", str(jobs / "demo-bank-statements.yaml"))
    erengine("run", str(jobs / "demo-bank-statements.yaml"))  # nothing new
    erengine("jobs", "history")
finally:
    server.stop()

print()
print("on the server:", sorted(str(p.relative_to(server.root)) for p in server.root.rglob("*")
                               if p.is_file()))
print("statements read:", sorted(p.name for p in (demo / "out" / "statements").iterdir()))
PY
