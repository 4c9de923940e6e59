#!/usr/bin/env python3
"""Runs every scim2-tester check against one SCIM 2.0 endpoint.

    scim_tester.py [--url URL] [--token TOKEN] [--seed N] [--verbose]

URL is the SCIM base (the one /Users, /Groups and /ServiceProviderConfig hang
under), e.g. http://127.0.0.1:8080/t/acme/scim/v2; TOKEN is sent as
`Authorization: Bearer TOKEN`. Both default to $SCIM_URL and $SCIM_TOKEN.

Prints each failing check with its reason and ends with one line
`N passed, N failed, N skipped`. Exits 1 if any check failed (ERROR or
CRITICAL), 2 on bad usage, 0 otherwise. A DEVIATION (a SHOULD not followed)
counts as passed and is printed as a warning.

Needs the packages pinned in scripts/scim-tester-requirements.txt.
"""

import argparse
import json
import os
import random
import sys
import traceback
from collections import Counter
from typing import Any

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import CheckResult, Status, check_server

PASSED = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE, Status.DEVIATION}
FAILED = {Status.ERROR, Status.CRITICAL}


def describe_data(data: Any, limit: int = 600) -> str:
    """A short, printable form of what a check attached to its result."""
    if data is None:
        return ""
    if hasattr(data, "status_code") and hasattr(data, "text"):
        text = f"HTTP {data.status_code} {data.text}"
    elif hasattr(data, "model_dump"):
        try:
            text = json.dumps(data.model_dump(), default=str)
        except Exception:
            text = repr(data)
    elif isinstance(data, (dict, list)):
        text = json.dumps(data, default=lambda o: repr(o))
    else:
        text = repr(data)
    return text if len(text) <= limit else text[:limit] + "..."


def label(result: CheckResult) -> str:
    where = f" [{result.resource_type}]" if result.resource_type else ""
    return f"{result.title or '?'}{where}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("SCIM_URL"), help="SCIM base URL ($SCIM_URL)")
    parser.add_argument("--token", default=os.environ.get("SCIM_TOKEN"), help="bearer token ($SCIM_TOKEN)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SCIM_TESTER_SEED", "1")),
                        help="seed for the random attribute values (default 1)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds")
    parser.add_argument("--include-tag", action="append", default=None,
                        help="run only checks with this tag (repeatable): discovery, crud, crud:read, patch, misc ...")
    parser.add_argument("--exclude-tag", action="append", default=None, help="skip checks with this tag (repeatable)")
    parser.add_argument("--resource-type", action="append", default=None,
                        help="test only this resource type (repeatable): User, Group")
    parser.add_argument("--trace", default=os.environ.get("SCIM_TESTER_TRACE"),
                        help="write every request and response to this file ($SCIM_TESTER_TRACE)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every check, not only the failures")
    args = parser.parse_args()
    if not args.url:
        parser.error("a SCIM base URL is needed: --url or $SCIM_URL")

    random.seed(args.seed)
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    hooks: dict[str, list[Any]] = {}
    trace = open(args.trace, "w") if args.trace else None
    if trace:
        def log_response(response: httpx2.Response) -> None:
            request = response.request
            response.read()
            body = request.content.decode("utf-8", "replace")
            trace.write(f"> {request.method} {request.url}\n")
            for name in ("if-match", "if-none-match"):
                if name in request.headers:
                    trace.write(f"> {name}: {request.headers[name]}\n")
            if body:
                trace.write(f"> {body}\n")
            etag = response.headers.get("etag")
            trace.write(f"< {response.status_code} {response.headers.get('content-type', '')}"
                        f"{' ETag: ' + etag if etag else ''}\n< {response.text}\n\n")
        hooks["response"] = [log_response]
    # trust_env off: the server is local, and a proxy from the environment would only get in the way.
    http = httpx2.Client(base_url=args.url.rstrip("/"), headers=headers, timeout=args.timeout,
                         event_hooks=hooks, trust_env=False)
    client = SyncSCIMClient(http)

    print(f"scim2-tester against {args.url} (seed {args.seed})", flush=True)
    try:
        results = check_server(
            client,
            raise_exceptions=False,
            include_tags=set(args.include_tag) if args.include_tag else None,
            exclude_tags=set(args.exclude_tag) if args.exclude_tag else None,
            resource_types=args.resource_type,
        )
    except Exception:
        # check_server catches what the checks raise; this is the tester itself
        # giving up (for instance on a resource type it cannot build a model for).
        traceback.print_exc()
        results = [CheckResult(status=Status.ERROR, title="check_server",
                               reason="scim2-tester aborted: see the traceback above")]
    finally:
        http.close()
        if trace:
            trace.close()

    if not args.include_tag and not any(r.resource_type for r in results):
        # check_server stops after discovery when it cannot describe the server
        # (ServiceProviderConfig, ResourceTypes or Schemas unreadable): no CRUD
        # check has run, which must not pass unnoticed.
        results.append(CheckResult(status=Status.ERROR, title="resource_checks",
                                   reason="no User/Group check ran: discovery failed (see above)"))

    counts: Counter[str] = Counter()
    per_check: dict[str, Counter[str]] = {}
    for r in results:
        outcome = "passed" if r.status in PASSED else "failed" if r.status in FAILED else "skipped"
        counts[outcome] += 1
        per_check.setdefault(label(r), Counter())[outcome] += 1
        if outcome == "failed":
            print(f"FAIL {label(r)} ({r.status.name}): {r.reason}")
            if details := describe_data(r.data):
                print(f"     {details}")
        elif r.status == Status.DEVIATION:
            print(f"WARN {label(r)} (DEVIATION): {r.reason}")
        elif args.verbose:
            word = "ok  " if outcome == "passed" else "skip"
            print(f"{word} {label(r)} ({r.status.name}): {r.reason}")

    print("\nper check (passed/failed/skipped):")
    for name, c in per_check.items():
        mark = "FAIL" if c["failed"] else "ok  " if c["passed"] else "skip"
        print(f"  {mark} {name}: {c['passed']}/{c['failed']}/{c['skipped']}")
    if not results:
        print("no check ran", file=sys.stderr)
        counts["failed"] += 1
    print(f"\n{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
