"""Ctrl-C at any moment: a deploy leaves the old or the new version everywhere, a request stops in the host too.

A deploy is interrupted at every line it runs in the app and in the project folder's code (a trace function
raises KeyboardInterrupt there, as Python does when SIGINT arrives), and then Python's state, the file on disk
and what the host answers must all be the same version. Before these guards, an interrupt between writing a
cell's file and recording it left the disk and Python apart, and Ctrl-C on ``app.request`` left the handler
running in the host.
"""

from __future__ import annotations

import dis
import json
import os
import signal
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

import nbruntime
from nbruntime import app as app_module
from nbruntime import interrupts, project
from nbruntime.app import App

TRACED = {app_module.__file__, project.__file__}
#: Python looks for a pending Ctrl-C at calls and jumps, never at a no-op (the start of a ``try:`` line): an
#: exception raised there by a trace function would escape every handler, as no signal can, so none is.
NOP = dis.opmap["NOP"]


def test_ctrl_c_in_a_deferred_block_comes_once_the_block_is_done():
    done = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts.deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # a KeyboardInterrupt would have come by now
            done.append("the block finished")
    assert done == ["the block finished"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# -- a deploy interrupted at every step ----------------------------------------------------------------------


def _route(label: str, static: bool = False) -> str:
    head = "export const dynamic = 'force-static'\n" if static else ""
    return head + f"export function GET() {{ return new Response('{label}') }}"


ENV_ROUTE = "export function GET() { return new Response(process.env.LABEL ?? 'none') }"


@dataclass
class Scenario:
    """A change to one file (``path``, asked for at ``url``) from the ``before`` version to the ``after`` one."""

    path: str
    url: str
    before: str | None
    after: str | None
    write: Callable[[str], str]  # the file's content for a version
    others: tuple[tuple[str, str], ...] = ()  # cells deployed beside it
    host_down: bool = False  # the change starts with the host dead, so the deploy starts one
    #: Interrupted at the lines of these functions only (the steps this scenario adds to the first one's), else
    #: at every line of the traced modules.
    steps_in: tuple[Callable, ...] = ()

    def change(self, app: nbruntime.App) -> None:
        if self.after is None:
            app.undeploy(self.path)
        else:
            app.deploy(self.path, self.write(self.after))

    def reset(self, app: nbruntime.App) -> None:
        current = app.deployments.get(self.path)
        if self.before is None:
            if current:
                app.undeploy(self.path)
        elif current is None or self.before not in current.source:
            app.deploy(self.path, self.write(self.before))
        app.warm()
        if self.host_down:
            pid = app.host_pid
            os.kill(pid, signal.SIGKILL)
            while app.host_pid is not None:  # until the app sees it dead (as a zombie, it may not yet be)
                time.sleep(0.005)


SCENARIOS = {
    "replace a prerendered route": Scenario(
        "app/api/x/route.ts", "/api/x", "v-old", "v-new", lambda v: _route(v, static=True),
        others=(("app/api/other/route.ts", _route("other")),)),
    "a new route in new folders": Scenario(
        "app/api/fresh/deep/route.ts", "/api/fresh/deep", None, "v-new", _route,
        steps_in=(project.FileEdit.__init__, project.FileEdit.write, project.FileEdit.undo)),
    "an env file (the host starts again with it)": Scenario(
        ".env.production", "/api/env", "v-old", "v-new", lambda v: f"LABEL={v}\n",
        others=(("app/api/env/route.ts", ENV_ROUTE),),
        steps_in=(App._deploy_asset, App._env_file_changed, App._load_env, App.restart, App._undo)),
    "undeploy": Scenario("app/api/gone/route.ts", "/api/gone", "v-old", None, _route),
    "replace while the host is down": Scenario(
        "app/api/cold/route.ts", "/api/cold", "v-old", "v-new", _route, host_down=True,
        steps_in=(App._ensure_host,)),
}


def _interrupting(action: Callable[[], object], scenario: Scenario, at: int | None = None) -> int:
    """Runs ``action``, raising KeyboardInterrupt at the ``at``-th line it runs among the scenario's steps (none
    if ``at`` is None); returns how many such lines ran."""
    count = 0
    codes = {function.__code__ for function in scenario.steps_in}

    def line(frame, event, arg):
        nonlocal count
        if event == "line" and frame.f_code.co_code[frame.f_lasti] != NOP:
            count += 1
            if count == at:
                raise KeyboardInterrupt
        return line

    def traced(frame, event, arg):
        return line if frame.f_code in codes or (not codes and frame.f_code.co_filename in TRACED) else None

    sys.settrace(traced)
    try:
        action()
    finally:
        sys.settrace(None)
    return count


def _versions(app: nbruntime.App, scenario: Scenario) -> dict[str, str | None]:
    """Which version each place holds: Python's deployments, the project folder, the host's answer."""
    def label(text: str | None) -> str | None:
        return None if text is None else next((v for v in ("v-old", "v-new") if v in text), text)

    deployed = app.deployments.get(scenario.path)
    file = app.project_dir / scenario.path
    answer = app.request("GET", scenario.url)
    return {
        "python": label(deployed.source if deployed else None),
        "disk": label(file.read_text() if file.exists() else None),
        "host": label(answer.text) if answer.status == 200 and answer.text != "none" else None,
    }


def _hosts() -> set[int]:
    """The Node.js hosts this process runs (of every app)."""
    children = psutil.Process().children()
    return {c.pid for c in children if c.status() != psutil.STATUS_ZOMBIE and "host.mjs" in " ".join(c.cmdline())}


def _empty_folders(root: Path) -> list[str]:
    return [str(f.relative_to(root)) for f in root.rglob("*") if f.is_dir() and not any(f.iterdir())]


@pytest.mark.parametrize("scenario", list(SCENARIOS.values()), ids=list(SCENARIOS))
def test_ctrl_c_at_any_step_of_a_change_leaves_one_version_everywhere(scenario):
    others = _hosts()  # the hosts of other tests' apps
    with nbruntime.App() as app:
        for path, source in scenario.others:
            app.deploy(path, source)
        scenario.reset(app)
        steps = _interrupting(lambda: scenario.change(app), scenario)
        assert _versions(app, scenario) == dict.fromkeys(("python", "disk", "host"), scenario.after)
        outcomes = set()
        for at in range(1, steps + 1):
            scenario.reset(app)
            with pytest.raises(KeyboardInterrupt):
                _interrupting(lambda: scenario.change(app), scenario, at)
            versions = _versions(app, scenario)
            assert len(set(versions.values())) == 1, f"interrupted at step {at}/{steps}: {versions}"
            assert versions["python"] in (scenario.before, scenario.after)
            assert not _empty_folders(app.project_dir), f"interrupted at step {at}/{steps}"
            assert _hosts() - others == {app.host_pid}, f"interrupted at step {at}/{steps}: a host left running"
            for path, source in scenario.others:  # the cells beside it are untouched
                assert app.deployments[path].source == source
            outcomes.add(versions["python"])
        if not scenario.steps_in:  # the sweep went past the point where the change is made, and stopped before
            assert outcomes == {scenario.before, scenario.after}


def test_ctrl_c_during_a_slow_top_level_stops_it_and_keeps_the_old_version():
    with nbruntime.App() as app:
        app.deploy("app/api/x/route.ts", _route("v-old"))
        pid = app.host_pid
        slow = ("import fs from 'fs'\nfs.writeFileSync('evaluating', '')\n"
                "await new Promise((resolve) => setTimeout(resolve, 20_000))\n" + _route("v-new"))
        _ctrl_c_when(lambda: (app.project_dir / "evaluating").exists())
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            app.deploy("app/api/x/route.ts", slow)
        assert time.monotonic() - started < 5
        assert pid not in _hosts()  # the host that was evaluating it is gone: nothing keeps running it
        scenario = SCENARIOS["replace a prerendered route"]
        assert _versions(app, scenario) == dict.fromkeys(("python", "disk", "host"), "v-old")
        assert app.host_pid != pid


def _ctrl_c_when(ready: Callable[[], bool], to_this_thread: bool = False) -> None:
    """Sends SIGINT from another thread as soon as ``ready()`` says so: to the process (the kernel picks the thread
    that takes it), or to that other thread itself (Python then runs the handler in the main thread once it wakes)."""
    def watch() -> None:
        while not ready():
            time.sleep(0.02)
        if to_this_thread:
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        else:
            os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=watch, daemon=True).start()


# -- a request interrupted -----------------------------------------------------------------------------------

# A Node.js route that counts the requests it is running and those whose request.signal fired.
WATCHED = """let aborted = 0, running = 0
export async function GET(request: Request) {
  const query = new URL(request.url).searchParams
  if (query.has('check')) return Response.json({ aborted, running })
  running++
  request.signal.addEventListener('abort', () => { aborted++; running-- })
  if (!query.has('stream')) await new Promise((resolve) => setTimeout(resolve, 30_000))
  return new Response(new ReadableStream({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      controller.enqueue(new TextEncoder().encode('tick\\n'))
    },
  }))
}"""


def _counts(app: nbruntime.App) -> dict[str, int]:
    return app.request("GET", "/api/watched?check").json()


@pytest.fixture
def watched() -> Iterator[nbruntime.App]:
    with nbruntime.App() as app:
        app.deploy("app/api/watched/route.ts", WATCHED, runtime="nodejs")
        yield app


def _settles(app: nbruntime.App, expected: dict[str, int]) -> bool:
    deadline = time.monotonic() + 5
    while _counts(app) != expected and time.monotonic() < deadline:
        time.sleep(0.02)
    return _counts(app) == expected


@pytest.mark.parametrize("to_another_thread", [False, True])
def test_ctrl_c_on_a_request_waiting_for_its_answer_fires_the_handlers_signal(watched, to_another_thread):
    _ctrl_c_when(lambda: _counts(watched)["running"] > 0, to_another_thread)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        watched.request("GET", "/api/watched")
    assert time.monotonic() - started < 5
    assert _settles(watched, {"aborted": 1, "running": 0})


def test_ctrl_c_while_a_body_streams_in_fires_the_handlers_signal(watched):
    reading = threading.Event()
    _ctrl_c_when(reading.is_set)
    with pytest.raises(KeyboardInterrupt):
        with watched.stream("GET", "/api/watched?stream") as stream:
            for _ in stream:
                reading.set()
    assert _settles(watched, {"aborted": 1, "running": 0})


def test_interrupting_request_magic_in_a_kernel_stops_the_handler(start_kernel):
    manager, client = start_kernel()
    try:
        outputs = []
        setup = (f"%load_ext nbruntime\nimport nbruntime\napp = nbruntime.get_app()\n"
                 f"app.deploy('app/api/watched/route.ts', {WATCHED!r})\nprint(app.serve(port=0).port)")
        reply = client.execute_interactive(setup, timeout=60, output_hook=outputs.append)
        assert reply["content"]["status"] == "ok"
        port = int(next(m["content"]["text"] for m in outputs if m["msg_type"] == "stream"))

        def counts() -> dict[str, int]:  # asked on the app's port while the kernel is busy with %request
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/watched?check", timeout=10) as answer:
                return json.load(answer)

        pending = client.execute("%request GET /api/watched")
        deadline = time.monotonic() + 30
        while counts()["running"] == 0:
            assert time.monotonic() < deadline, "the request never started"
            time.sleep(0.05)
        manager.interrupt_kernel()
        reply = client.get_shell_msg(timeout=30)
        assert reply["parent_header"]["msg_id"] == pending
        assert (reply["content"]["status"], reply["content"]["ename"]) == ("error", "KeyboardInterrupt")
        deadline = time.monotonic() + 5
        while counts() != {"aborted": 1, "running": 0}:
            assert time.monotonic() < deadline, counts()
            time.sleep(0.05)
    finally:
        manager.shutdown_kernel(now=True)
        client.stop_channels()
