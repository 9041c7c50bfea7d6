"""GitHub deployment protection rule: a GitHub App whose verdict is the deploy gate's.

When a workflow job names an environment that has this App's custom protection rule enabled, GitHub
POSTs a ``deployment_protection_rule`` webhook (action ``requested``) to
``/api/v1/integrations/github/deployment-protection``. We answer it as GitHub's guide ("Creating custom
deployment protection rules") describes:

1. Verify ``X-Hub-Signature-256`` (``sha256=`` + hex HMAC-SHA256 of the raw body, constant-time) with
   the webhook secret of the installation, before any JSON is parsed. Candidates are the active
   installations of the App named by ``X-GitHub-Hook-Installation-Target-ID``; the body's
   ``installation.id`` must then be one whose secret verified. Bad signature: 401; unknown or inactive
   installation: 404; another event or action: 200, ignored. Everything is audited (``github_webhook.*``).
2. Refuse a ``deployment_callback_url`` whose origin (scheme, host, port) is not the installation's API
   base URL, or whose path is not
   ``{base}/repos/{owner}/{repo}/actions/runs/{id}/deployment_protection_rule``: 422, recorded as
   ``refused`` and audited, nothing evaluated or sent. The installation token only ever goes there.
3. Map the GitHub environment to ours (``environment_map``; unmapped: rejected with that reason) and find
   what to evaluate: the deployment's ``payload`` keys ``model``, ``version``, ``artifact_digest``, else
   every model version the same pipeline asked the gate about for this repository, commit (the webhook's
   ``sha``; ``ci.repository``/``ci.commit`` of the earlier checks, as ``govctl gate check`` sends them)
   and environment (GitHub Actions gives a job's own deployment no payload). Nothing found: rejected.
4. Evaluate each with ``gate_check`` as the installation's team (a principal holding only ``gate:check``
   on that team, like a CI key): stored, signed and audited as any gate decision, ``ci`` naming the run.
   Approved only if every one passes; the comment lists every reason (code and message) or, approved,
   the decisions and their signed records' URLs.
5. In the same transaction: the log row (``ProtectionRuleRequest``), its audit entry
   (``github_protection.request``) and the answer's job message (outbox). GitHub gets 202 at once.
6. The job (``callback.py``) signs an RS256 App JWT, exchanges it for an installation token and POSTs
   ``{"environment_name", "state": "approved"|"rejected", "comment"}`` to the callback URL; failures are
   retried with backoff, each attempt audited (``github_protection.callback``).

Dependencies: gate, approvals, inventory (through the gate), accounts, jobs, core and audit. Nothing
imports this package except ``governance.urls`` and the settings.
"""
