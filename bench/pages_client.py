"""bench/pages.py's client: a process of its own, as a browser would be, asking the servers over HTTP.

    pages_client.py PLAN.json OUT.json

It signs each benchmark account in through the real sign-in (the sign-in form with the CSRF token, then the second
step with a code from the authenticator-app secret that pages_inproc.py set up, as a phone would compute it), then
asks in rounds: each round takes every page of every size once, in a shuffled order, and each page request is
followed by the floor (/accounts/me/ as the same person) and /health/ (no session) on the same server. Each request
carries an X-Bench header with its number, which gunicorn writes into its access log beside its own time.

After each page request it reads the size's gunicorn workers' VmRSS and VmHWM (/proc/<pid>/status), so a page that
raises a worker's memory is named. A page whose requests have taken more than the plan's budget of seconds at a size
(after at least `min_requests`) is asked no more at that size, and the report says so.

The servers are gunicorn sync workers, which close the connection after each response (no keep-alive): each
request opens a connection to 127.0.0.1, as it would through a proxy that does not pool. The cookies are kept
by hand: they are marked Secure (production mode), and this client stands where a TLS-ending proxy would.
"""

import http.client
import json
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from page_list import FLOOR, HEALTH  # noqa: E402

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    def __init__(self, port: int, seq):
        self.port, self.seq = port, seq
        self.cookies: dict[str, str] = {}
        self.conn = None

    def request(self, method: str, path: str, body: bytes | None = None, *, anonymous=False):
        """(status, body, wall ms, number), the wall time from sending to the last byte read."""
        number = next(self.seq)
        headers = {"X-Bench": str(number), "Connection": "keep-alive"}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies and not anonymous:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        content = response.read()
        wall = (time.perf_counter() - started) * 1000
        if response.will_close:
            self.conn.close()
            self.conn = None
        if not anonymous:
            for header in response.headers.get_all("Set-Cookie") or []:
                key, _, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                if value in ('""', "") or "max-age=0" in header.lower():
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = value
        return response.status, content, wall, number

    def sign_in(self, username: str, password: str, secret: str) -> None:
        """The sign-in form, then the second step, as a person does it."""
        status, page, *_ = self.request("GET", "/accounts/login/")
        body = f"csrfmiddlewaretoken={_token(page)}&username={username}&password={password}".encode()
        status, _, *_ = self.request("POST", "/accounts/login/", body)
        if status != 302:
            raise SystemExit(f"{username}: the sign-in form answered {status}, not a redirect to the second step")
        status, page, *_ = self.request("GET", "/accounts/2fa/authenticate/")
        body = f"csrfmiddlewaretoken={_token(page)}&code={totp_now(secret)}".encode()
        status, _, *_ = self.request("POST", "/accounts/2fa/authenticate/", body)
        status_me, *_ = self.request("GET", FLOOR)
        if status != 302 or status_me != 200:
            raise SystemExit(f"{username}: the second step answered {status}, then {FLOOR} {status_me}")


def _token(page: bytes) -> str:
    found = CSRF.search(page)
    if not found:
        raise SystemExit("no CSRF token on the sign-in page")
    return found.group(1).decode()


def totp_now(secret: str) -> str:
    """The code an authenticator app shows now: allauth's own HOTP over the current 30-second step."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    # A code taken in a step's last seconds may reach a loaded server in the next one, where it no longer counts:
    # wait for the new step, as a person glancing at the app would.
    if (left := 30 - time.time() % 30) < 4:
        time.sleep(left + 0.2)

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def rss(master: int) -> dict[int, tuple[int, int]]:
    """{worker pid: (VmRSS kB, VmHWM kB)} for the gunicorn master's children now."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return {}
    out = {}
    for pid in map(int, children):
        try:
            fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
        except OSError:
            continue
        out[pid] = (int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0]))
    return out


def run(plan: dict) -> dict:
    counter = iter(range(1, 10**9))
    sizes = plan["sizes"]
    browsers = {}
    for label, size in sizes.items():
        anonymous = Browser(size["port"], counter)
        browsers[label] = {"": anonymous}
        for role in plan["roles"]:
            browsers[label][role] = Browser(size["port"], counter)
            browsers[label][role].sign_in(role, plan["password"], size["secrets"][role])
    samples, memory, skipped, spent = [], [], {}, {}
    initial = {label: rss(size["master"]) for label, size in sizes.items()}  # signed in, nothing asked yet
    rng = random.Random(plan["seed"])
    rounds = [("warmup", plan["warmup"]), ("measured", plan["requests"])]
    for phase, count in rounds:
        for n in range(count):
            order = [
                (label, page) for label in sizes for page in plan["pages"] if sizes[label]["paths"].get(page["name"])
            ]
            rng.shuffle(order)
            for label, page in order:
                key = (label, page["name"])
                if phase == "measured" and key in skipped:
                    continue
                paths = sizes[label]["paths"][page["name"]]
                me = browsers[label][page["role"]]
                before = rss(sizes[label]["master"])
                asked = me.request("GET", paths[n % len(paths)])
                after = rss(sizes[label]["master"])
                floor = me.request("GET", FLOOR)
                health = browsers[label][""].request("GET", HEALTH, anonymous=True)
                memory.append({"size": label, "page": page["name"], "n": asked[3], "before": before, "after": after})
                if phase == "warmup":
                    continue
                for what, (status, _body, wall, number) in (
                    (page["name"], asked),
                    ("floor", floor),
                    ("health", health),
                ):
                    samples.append({"size": label, "page": what, "role": page["role"], "n": number, "status": status,
                                    "ms": wall})  # fmt: skip
                spent[key] = spent.get(key, 0) + asked[2] / 1000
                if n + 1 >= plan["min_requests"] and spent[key] > plan["budget_seconds"]:
                    skipped[key] = n + 1
    final = {label: rss(size["master"]) for label, size in sizes.items()}
    return {
        "samples": samples,
        "memory": memory,
        "initial_rss": initial,
        "final_rss": final,
        "cut": [{"size": s, "page": p, "after": n} for (s, p), n in skipped.items()],
    }


def main() -> None:
    import django
    from django.conf import settings

    # allauth's TOTP code at its settings' defaults (6 digits, 30 s), as the servers use them; no database
    apps = ["django.contrib.contenttypes", "django.contrib.auth", "allauth", "allauth.account", "allauth.mfa"]
    settings.configure(INSTALLED_APPS=apps, MIDDLEWARE=["allauth.account.middleware.AccountMiddleware"])
    django.setup()
    plan = json.loads(Path(sys.argv[1]).read_text())
    Path(sys.argv[2]).write_text(json.dumps(run(plan)))


if __name__ == "__main__":
    main()
