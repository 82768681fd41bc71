"""The pipeline's HeaderList (header-list.mjs) against fetch's Headers as Node's undici implements them: the same
operations, in one Node.js process, must leave the same headers, answer the same reads and refuse the same input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from host_module import HostModule
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SCRIPT = """
import { HeaderList } from %s;
import readline from 'node:readline';
const PROBES = ['set-cookie', 'x-a', 'vary', 'host'];
function transcript(Kind, init, operations) {
  const said = [];
  const attempt = (fn) => { try { return fn(); } catch (error) { return `threw ${error.constructor.name}`; } };
  let headers = attempt(() => new Kind(init));
  if (typeof headers === 'string') return [headers];
  for (const [method, ...args] of operations) {
    said.push(attempt(() => headers[method](...args)) ?? null);
    const reads = PROBES.map((name) => [headers.get(name), headers.has(name)]);
    said.push([...headers], [...headers.keys()], headers.getSetCookie(), reads);
  }
  const copy = new Kind(headers); // as the pipeline copies them, and a Headers copies a HeaderList
  said.push([...copy], [...new Headers(headers)]);
  return said;
}
for await (const line of readline.createInterface({ input: process.stdin })) {
  const { init, operations } = JSON.parse(line);
  console.log(JSON.stringify([transcript(Headers, init, operations), transcript(HeaderList, init, operations)]));
}
"""

NAMES = st.sampled_from(["set-cookie", "Set-Cookie", "x-a", "X-A", "vary", "Vary", "host", "x y", "", "caf\u00e9"])
VALUES = st.text(alphabet=st.sampled_from(["a", "b", ",", " ", "\t", "\n", "=", ";", "\u00e9", "\u0100", "\0"]),
                 max_size=6)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["append", "set"]), NAMES, VALUES),
        st.tuples(st.sampled_from(["delete", "get", "has"]), NAMES),
    ),
    max_size=8,
)
INITS = st.one_of(st.none(), st.lists(st.tuples(NAMES, VALUES), max_size=4), st.dictionaries(NAMES, VALUES, max_size=3))


@pytest.fixture(scope="module")
def lists() -> Iterator[HostModule]:
    process = HostModule("header-list.mjs", SCRIPT)
    yield process
    process.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(init=INITS, operations=OPERATIONS)
def test_a_header_list_behaves_as_fetchs_headers(lists, init, operations):
    headers, header_list = lists.ask({"init": init, "operations": operations})
    assert header_list == headers
