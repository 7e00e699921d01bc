#!/usr/bin/env bash
# The demo, from a fresh clone: install erengine, write a NACHA file from the sample payments,
# read it back into the payments model and show a summary. Everything lands in out/.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install -q -e .

mkdir -p out
erengine=.venv/bin/erengine
"$erengine" validate formats
"$erengine" generate nacha@^1 --input samples/payments.json --now 2024-03-01T10:30:00 \
    --output out/payments.ach
"$erengine" parse nacha@^1 out/payments.ach --output out/payments-read.json
# The same format from an ERP's own export, through a mapping in a user catalog folder.
"$erengine" generate nacha@^1 --catalog samples/catalog --mapping acme-erp-payables \
    --input samples/erp-payables.csv --now 2024-03-01T10:30:00 --output out/payables.ach

# Jobs: a payment run delivered to a bank drop folder (switching to the bank's SFTP server is
# one line in samples/jobs/endpoints/demo-bank.yaml), run twice: the second sends nothing.
# Then the bank drops a statement and the pickup job reads it into JSON, exactly once.
export ERENGINE_DATA_DIR="$PWD/out/data"
rm -rf out/bank out/data out/jobs out/statements
mkdir -p out/bank/outbox out/bank/inbox
"$erengine" run samples/jobs/acme-supplier-payments.yaml --period 2024-03-04 \
    --now 2024-03-04T09:00:00 2>/dev/null
"$erengine" run samples/jobs/acme-supplier-payments.yaml --period 2024-03-04 2>/dev/null
cp samples/jobs/bank-drop/stmt-0301.sta out/bank/inbox/
"$erengine" run samples/jobs/demo-bank-statements.yaml 2>/dev/null
"$erengine" jobs history

echo
echo "== out/payments.ach (first 6 records) =="
head -n 6 out/payments.ach
echo
echo "== read back: out/payments-read.json =="
.venv/bin/python - <<'PY'
import json
data = json.load(open("out/payments-read.json"))
for batch in data["batches"]:
    total = sum(float(p["amount"]) for p in batch["payments"])
    print(f"batch {batch['batch_id']} {batch['local_instrument']} {batch['description']:<10}"
          f" {len(batch['payments'])} payments, {total:,.2f} USD, class {batch['service_class_code']}")
PY
