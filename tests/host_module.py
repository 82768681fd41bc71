"""A module of the host's JavaScript (``nbruntime/js``) driven in a Node.js process of its own: a JSON line in, a JSON
line out."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import nbruntime
from nbruntime.host import node_executable


class HostModule:
    """``script`` (an ES module) reads the module's URL where it says ``%s``, then answers each line of its stdin with
    one line of its stdout."""

    def __init__(self, module: str, script: str) -> None:
        url = (Path(nbruntime.__file__).parent / "js" / module).as_uri()
        command = [node_executable(), "--input-type=module", "-e", script % json.dumps(url)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, question: Any) -> Any:
        self.process.stdin.write(json.dumps(question) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(10)
