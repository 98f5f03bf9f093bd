"""The sync API: ``InvokeAI``, generated from the async classes, running on a private event loop.

``generated.py`` is written by ``scripts/gen_sync.py`` (never by hand); ``runtime.py`` is the
private loop it calls into; ``pages.py`` holds the hand-written sync pages (a walk crosses threads
once per page).
"""

from .generated import *  # noqa: F403
from .generated import SyncBatchHandle, SyncJobHandle
from .generated import __all__ as _generated_all
from .pages import SyncPage, SyncPaginator
from .runtime import SyncInAsyncContextWarning, SyncIterator, SyncRuntimeError

__all__ = [
    *_generated_all,
    "SyncInAsyncContextWarning",
    "SyncIterator",
    "SyncPage",
    "SyncPaginator",
    "SyncRuntimeError",
    "SyncWorkflowJob",
    "SyncWorkflowRun",
]

SyncWorkflowRun = SyncBatchHandle
"""What the sync ``ivk.workflows.run`` returns: a :class:`SyncBatchHandle` (other name, kept for imports)."""
SyncWorkflowJob = SyncJobHandle
"""One queue item of a sync workflow run: a :class:`SyncJobHandle` (other name, kept for imports)."""
