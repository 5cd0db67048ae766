"""The API's contract, fuzzed at length: the suite's schemathesis test (liaison/api/tests/test_api_schemathesis.py,
every check on, through the WSGI app in-process) run with enough examples for at least 10,000 requests.

    .venv/bin/python bench/api_fuzz.py                       # SQLite, about 10,000 requests
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres LIAISON_TEST_DB_SUFFIX=_fuzz \\
        .venv/bin/python bench/api_fuzz.py --examples 2000 --at-least 10000

It passes when schemathesis finds nothing: no server error, no undeclared status, content type or header, no
response off its schema, no valid request refused (but for the rules listed in the test's docstring) and no
invalid one accepted. It prints the requests made per operation and the time taken; a failure prints the
request that reproduces it.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "liaison/api/tests/test_api_schemathesis.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=2000, help="generated examples per operation")
    parser.add_argument("--at-least", type=int, default=10_000, help="fail below this many requests in all")
    args = parser.parse_args()
    env = {
        **os.environ,
        "LIAISON_API_FUZZ_EXAMPLES": str(args.examples),
        "LIAISON_API_FUZZ_AT_LEAST": str(args.at_least),
        "LIAISON_TEST_DB_SUFFIX": os.environ.get("LIAISON_TEST_DB_SUFFIX", "_fuzz"),
    }
    started = time.monotonic()
    pytest = [sys.executable, "-m", "pytest", TEST, "-q", "-s", "-p", "no:warnings"]
    done = subprocess.run(pytest, cwd=ROOT, env=env, check=False)  # noqa: S603 - our own command line
    print(f"{time.monotonic() - started:.0f} s, exit status {done.returncode}")  # noqa: T201
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
