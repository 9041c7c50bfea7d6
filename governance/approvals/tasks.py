"""Beat task of approvals: the periodic expiry and re-validation pass (``expiry.approvals_expire_due``)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="approvals.expire_due", ignore_result=True)  # type: ignore[untyped-decorator]
def approvals_expire_due() -> dict[str, int]:
    from governance.approvals.expiry import approvals_expire_due as run

    result = run()
    return {"expired": len(result.expired), "stale": len(result.stale)}
