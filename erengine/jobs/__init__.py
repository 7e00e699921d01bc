"""Jobs: the one place where the engine and the transport meet. See docs/jobs.md.

``load_job(path_or_name)`` loads a job document; ``run_outbound`` writes a payment file per
batch and delivers it at most once; ``run_inbound`` picks up statements and writes each to
its outputs exactly once; ``Scheduler`` starts jobs on their cron schedules. ``RunContext``
says where the ledgers live and who started a run; ``RunLedger`` is the audit trail that
``erengine jobs status|history`` shows.
"""

from erengine.jobs.context import JobError, RunContext, started_by
from erengine.jobs.definition import JobDefinition, list_jobs, load_job
from erengine.jobs.inbound import InboundResult, run_inbound
from erengine.jobs.ledger import Run, RunLedger
from erengine.jobs.outbound import OutboundResult, run_outbound
from erengine.jobs.scheduler import Firing, Scheduler

__all__ = [
    "Firing",
    "InboundResult",
    "JobDefinition",
    "JobError",
    "OutboundResult",
    "Run",
    "RunContext",
    "RunLedger",
    "Scheduler",
    "list_jobs",
    "load_job",
    "run_inbound",
    "run_outbound",
    "started_by",
]
