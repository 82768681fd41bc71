"""The control channel between the kernel and the Node.js host is trusted to nobody.

A Node.js cell can find the protocol's pipes (they are in /proc/self/fd) and write to them, or write to the host's
own stdin. Neither can speak for the host: the host signs every record of frames with a key it was given on stdin,
and the kernel takes any record that fails the check, or bytes it cannot read, as a crash: the host is stopped and
restarted, the deployments come back, and the request says why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

import nbruntime
from nbruntime.host import ChannelError, FrameDecoder, encode_frame, sign_record

# Finds a pipe the host writes frames to: write-only, fd 3 or above, its other end in another process.
FIND_PROTOCOL_FD = """import fs from 'node:fs'
function protocolFd(): number {
  const pipes = new Map<number, string>()
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try { pipes.set(Number(name), fs.readlinkSync(`/proc/self/fd/${name}`)) } catch {}
  }
  for (const [fd, link] of pipes) {
    const flags = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').match(/flags:\\s*(\\d+)/)![1]
    const writeOnly = (parseInt(flags, 8) & 3) === 1
    const shared = [...pipes].filter(([, other]) => other === link).length > 1
    if (fd > 2 && link.startsWith('pipe:') && writeOnly && !shared) return fd
  }
  throw new Error('no protocol pipe found')
}
"""
OK = "export function GET() { return new Response('still here') }"


@pytest.fixture
def app() -> Iterator[nbruntime.App]:
    with nbruntime.App() as app:
        app.deploy("app/api/ok/route.ts", OK)
        app.deploy("app/api/edge-ok/route.ts", OK, runtime="edge")
        yield app


def assert_recovered(app: nbruntime.App, pid: int) -> None:
    assert app.host_pid not in (None, pid) and app.restarts == 1
    assert app.request("GET", "/api/ok").text == "still here"
    assert app.request("GET", "/api/edge-ok").text == "still here"


@pytest.mark.parametrize("bytes_written", [
    "Buffer.from('garbage that is no frame at all, long enough to look like a header')",
    # frames in the unsigned format, as a forger would write them
    "(() => { const json = Buffer.from(JSON.stringify({ ev: 'log', id: null, level: 'log', text: 'forged' }));"
    " const head = Buffer.alloc(8); head.writeUInt32LE(json.length, 0); return Buffer.concat([head, json]) })()",
])
def test_bytes_a_node_cell_writes_to_the_protocol_pipe_are_a_crash_and_the_host_comes_back(app, bytes_written):
    app.deploy("app/api/forge/route.ts", FIND_PROTOCOL_FD + f"""
export function GET() {{
  fs.writeSync(protocolFd(), {bytes_written})
  return new Response('forged?')
}}""", runtime="nodejs")
    pid = app.host_pid
    r = app.request("GET", "/api/forge", timeout=10)
    assert (r.status, r.error.kind, r.error.name) == (502, "crash", "HostCrashed")
    assert "control channel from the Node.js host broke" in r.error.message
    assert "redeployed" in r.error.notes[0]
    assert_recovered(app, pid)


def test_garbage_on_the_hosts_own_stdin_is_a_crash_and_the_host_comes_back(app):
    app.deploy("app/api/stdin/route.ts", """import fs from 'node:fs'
export async function GET() {
  const fd = fs.openSync('/proc/self/fd/0', 'w')
  fs.writeSync(fd, Buffer.concat([Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{oops')]))
  await new Promise(r => setTimeout(r, 5000))  // the host reads its stdin while this request waits
  return new Response('written')
}""", runtime="nodejs")
    pid = app.host_pid
    r = app.request("GET", "/api/stdin", timeout=10)
    assert r.error.kind == "crash"
    assert "the control channel from the kernel broke" in r.error.message
    assert_recovered(app, pid)


def test_restart_after_a_broken_channel_gives_a_working_host(app):
    app.deploy("app/api/forge/route.ts", FIND_PROTOCOL_FD + """
export function GET() {
  fs.writeSync(protocolFd(), Buffer.concat([Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{oops')]))
  return new Response('')
}""", runtime="nodejs")
    app.request("GET", "/api/forge", timeout=10)
    app.restart()
    assert app.request("GET", "/api/ok").text == "still here"


# -- the decoder itself --------------------------------------------------------------------------------------

KEY = bytes(range(32))
FRAMES = [({"ev": "a"}, b"1"), ({"ev": "b"}, b""), ({"ev": "c"}, b"333")]


def signed(key: bytes = KEY, order: tuple[int, ...] = (0, 1, 2)) -> list[bytes]:
    return [sign_record(key, n, [FRAMES[i]]) for n, i in enumerate(order)]


def test_signed_records_decode():
    assert FrameDecoder(KEY).feed(b"".join(signed())) == FRAMES
    assert FrameDecoder(KEY).feed(sign_record(KEY, 0, FRAMES)) == FRAMES  # a record holds a turn's frames


def flipped(frame: bytes) -> bytes:
    return frame[:-1] + bytes([frame[-1] ^ 1])


@pytest.mark.parametrize(("frames", "good", "error"), [
    (signed(key=bytes(32)), 0, "not one the host signed"),  # another key
    ([signed()[0], sign_record(KEY, 0, [FRAMES[1]])], 1, "not one the host signed"),  # a replayed record number
    ([signed()[0], signed(order=(0, 2, 1))[2]], 1, "not one the host signed"),  # reordered
    ([signed()[0], encode_frame(*FRAMES[1]) + bytes(40)], 1, "not one the host signed"),  # unsigned
    ([signed()[0], flipped(signed()[1])], 1, "altered on the way"),
    ([*signed()[:2], flipped(signed()[2])], 2, "altered on the way"),
])
def test_a_record_that_fails_its_check_ends_the_stream_after_the_good_ones(frames, good, error):
    decoder = FrameDecoder(KEY)
    data = b"".join(frames)
    if good:
        assert decoder.feed(data) == FRAMES[:good]
        data = b""
    with pytest.raises(ChannelError, match=error):
        decoder.feed(data)
    with pytest.raises(ChannelError):  # and it stays broken
        decoder.feed(b"".join(signed()))


DIGEST = """export async function POST(request: Request) {
  const bytes = new Uint8Array(await request.arrayBuffer())
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  return Response.json({ size: bytes.length, sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join('') })
}"""


@pytest.mark.parametrize("runtime", ["nodejs", "edge"])
def test_requests_sent_back_to_back_arrive_whole_whichever_way_the_host_reads_them(runtime):
    """After an answer, the thread reads its pipe itself for a moment (linger.mjs) and hands the bytes to the frames its
    stream reads; a request larger than that one read is finished by the stream. Bodies around the read's 64 KB, each
    sent as soon as the previous answer came, with a deploy (a control operation) among them, arrive whole, in order."""
    sizes = [0, 1, 65_535, 65_536, 65_537, 3, 200_000, 1_000_000, 7] * 3
    with nbruntime.App() as app:
        app.deploy("app/api/digest/route.ts", DIGEST, runtime=runtime)
        for number, size in enumerate(sizes):
            body = bytes((number + i) % 251 for i in range(size))
            response = app.request("POST", "/api/digest", body=body)
            assert response.status == 200, response.text
            assert response.json() == {"size": size, "sha256": hashlib.sha256(body).hexdigest()}
            if number == len(sizes) // 2:
                app.deploy("app/api/ok/route.ts", OK)
        assert app.request("GET", "/api/ok").text == "still here"
        assert app.restarts == 0
