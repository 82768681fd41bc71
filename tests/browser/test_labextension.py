"""The JupyterLab extension in a real JupyterLab (and Notebook 7) in a real Chromium.

``%%edge`` / ``%%node`` cells are highlighted as TypeScript; an edge-incompatible line gets a squiggle
while the user types, with a hover in the deploy's words, served by the server even while the kernel is
busy. Screenshots of each test (and one with the hover open) are saved in ``test-output/``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import nbruntime
from nbruntime.npm import project_folder
from nbruntime.server import diagnostics

ARTIFACTS = Path(__file__).parents[2] / "test-output"

PATH = "app/api/files/route.ts"
EDGE_BODY = "export async function GET(): Promise<Response> {\n  return new Response('hi')\n}"
EDGE_CELL = f"%%edge {PATH}\n{EDGE_BODY}"
NODE_CELL = "%%node app/api/node/route.ts\nexport const GET = (): Response => new Response('node')"
# The cells of the notebook in front (other notebooks stay open in hidden tabs); Notebook 7 shows only one.
CELLS = "(window.jupyterapp?.shell.currentWidget?.node ?? document).querySelectorAll('.jp-Notebook .jp-Cell')"
LANGUAGES = f"""() => [...{CELLS}]
    .map(cell => cell.querySelector('.cm-content').getAttribute('data-language'))"""
MIMES = "() => window.jupyterapp.shell.currentWidget.content.widgets.map(cell => cell.model.mimeType)"
SQUIGGLES = f"""index => [...{CELLS}[index]
    .querySelectorAll('.cm-nbr-diagnostic')].map(e => e.textContent + ' ' + e.dataset.nbrRule)"""
KEYWORD_COLOR = f"""([index, word]) => {{
    const spans = [...{CELLS}[index].querySelectorAll('.cm-line span')];
    const span = spans.find(s => s.textContent === word);
    return span ? getComputedStyle(span).color : null;
}}"""


def wait_languages(page, expected: list[str]) -> None:
    page.wait_for_function(f"({LANGUAGES})().join() === {json.dumps(','.join(expected))}", timeout=20_000)


def cell(page, index: int):
    return page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").nth(index)


def editor(page, index: int):
    return cell(page, index).locator(".cm-content")


def squiggles(page, index: int) -> list[str]:
    return page.evaluate(SQUIGGLES, index)


def expected_squiggles(cell: str) -> list[str]:
    """What the server finds in ``cell``, as ``squiggles`` reads it back from the page (the rules may change)."""
    return [f"{cell[p['from']:p['to']]} {p['rule']}" for p in diagnostics(cell)["problems"]]


def wait_squiggles(page, index: int, expected: list[str], timeout: float = 10_000) -> None:
    page.wait_for_function(f"({SQUIGGLES})({index}).join('|') === {json.dumps('|'.join(expected))}",
                           timeout=timeout)


def test_deploy_cells_are_highlighted_as_typescript_and_follow_their_magic(lab, page):
    name = lab.write_notebook("highlight.ipynb", ["import os", EDGE_CELL, NODE_CELL, "%%html\n<b>x</b>"])
    lab.open(page, name)  # the kernel is idle: its language info has reset every cell once already
    wait_languages(page, ["python", "typescript", "typescript", "python"])
    assert page.evaluate(MIMES) == ["text/x-ipython", "application/typescript", "application/typescript",
                                    "text/x-ipython"]
    # `export` is a keyword in TypeScript, coloured like Python's `import`; the magic line has one style
    assert page.evaluate(KEYWORD_COLOR, [1, "export"]) == page.evaluate(KEYWORD_COLOR, [0, "import"])
    magic = cell(page, 1).locator(".cm-line.cm-nbr-magic")
    assert magic.inner_text() == f"%%edge {PATH}"
    assert len(set(magic.evaluate("line => [...line.querySelectorAll('span')].map(s => getComputedStyle(s).color)"
                                  ))) <= 1

    # typing a magic on top of a Python cell makes it TypeScript; deleting the line makes it Python again
    editor(page, 0).click()
    page.keyboard.press("Control+Home")
    page.keyboard.type("%%edge app/api/typed/route.ts\n")
    wait_languages(page, ["typescript", "typescript", "typescript", "python"])
    page.keyboard.press("Control+Home")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Backspace")
    wait_languages(page, ["python", "typescript", "typescript", "python"])

    # a saved notebook opened again (after a reload, with a new kernel info round) is highlighted the same way
    page.reload()
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function(
        "window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'", timeout=60_000)
    wait_languages(page, ["python", "typescript", "typescript", "python"])

    # cells that change type or are added are followed too
    run = "([index, command]) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = index; " \
          "return window.jupyterapp.commands.execute(command); }"
    page.evaluate(run, [1, "notebook:change-cell-to-markdown"])
    page.evaluate(run, [1, "notebook:change-cell-to-code"])
    page.evaluate(run, [3, "notebook:insert-cell-below"])
    page.evaluate(run, [4, "notebook:enter-edit-mode"])
    page.keyboard.type("%%node app/api/new/route.ts\nexport const GET = () => new Response('new')")
    wait_languages(page, ["python", "typescript", "typescript", "python", "typescript"])


def test_an_fs_import_gets_a_squiggle_while_typing_even_with_the_kernel_busy(lab, page):
    name = lab.write_notebook("diagnostics.ipynb", [EDGE_CELL])
    lab.open(page, name)
    wait_languages(page, ["typescript"])
    page.evaluate("""() => {
        const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
        const sleep = kernel.requestExecute({code: "import time; print('sleeping', flush=True); time.sleep(600)"});
        sleep.onIOPub = message => { if (message.header.msg_type === 'stream') { window.nbrSleeping = true; } };
        sleep.done.finally(() => { window.nbrSleepDone = true; });
    }""")
    page.wait_for_function("window.nbrSleeping === true", timeout=20_000)

    editor(page, 0).click()
    page.keyboard.press("Control+Home")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("import fs from 'fs'")
    typed = time.monotonic()
    with_fs = EDGE_CELL.replace("\n", "\nimport fs from 'fs'\n", 1)
    assert [s.split()[-1] for s in expected_squiggles(with_fs)] == ["node-module"]
    wait_squiggles(page, 0, expected_squiggles(with_fs))
    latency = time.monotonic() - typed
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "labextension-latency.json").write_text(json.dumps({"keystroke_to_squiggle_s": round(latency, 3)}))

    # the hover says what, when it fails and what to use instead: exactly what the deploy reports
    source = page.evaluate("window.jupyterapp.shell.currentWidget.content.widgets[0].model.sharedModel.getSource()")
    body = source.split("\n", 1)[1]
    (expected,) = [str(p) for p in nbruntime.check(body, runtime="edge", path=PATH)]
    cell(page, 0).locator(".cm-nbr-diagnostic").hover()
    tooltip = page.wait_for_selector(".cm-tooltip .nbr-tooltip", timeout=10_000)
    assert tooltip.inner_text().split() == expected.split()  # word for word (set on three lines)
    assert "fails at build" in expected and "use instead: import the data" in expected
    page.screenshot(path=str(ARTIFACTS / "labextension-diagnostic.png"))

    # deleting the import clears it
    page.keyboard.press("Escape")
    editor(page, 0).click()
    page.keyboard.press("Control+Home")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Home")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Backspace")
    wait_squiggles(page, 0, [])

    # back again, then %%edge -> %%node: the edge-only problem goes, the highlighting stays
    page.keyboard.type("import fs from 'fs'\n")
    wait_squiggles(page, 0, expected_squiggles(with_fs))
    page.keyboard.press("Control+Home")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    for _ in "edge":
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.type("node")
    wait_squiggles(page, 0, [])
    wait_languages(page, ["typescript"])
    # the kernel's status flips with its control messages, so "busy" is read as: the sleep has not returned
    assert page.evaluate("window.nbrSleepDone") is None
    page.evaluate("window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.interrupt()")


def test_code_still_being_typed_keeps_what_is_shown_quiet(lab, page):
    """Half-typed code does not parse: no new squiggles appear, and the ones shown stay until it parses."""
    cell = f"%%edge {PATH}\nconst value = eval('1')\n{EDGE_BODY}"
    name = lab.write_notebook("typing.ipynb", [cell])
    lab.open(page, name, kernel=False)
    before = expected_squiggles(cell)
    assert [s.split()[0] for s in before] == ["eval"]
    wait_squiggles(page, 0, before)
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/nbruntime/check" in r.url else None)
    editor(page, 0).click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nconst dir = process.cwd(", delay=30)  # unbalanced: does not parse yet
    page.wait_for_timeout(800)
    assert squiggles(page, 0) == before
    assert len(requests) == 1, requests  # one request after the pause, none per keystroke
    page.keyboard.type(")")
    after = expected_squiggles(cell + "\nconst dir = process.cwd()")
    assert [s.split()[0] for s in after] == ["eval", "process.cwd"]
    wait_squiggles(page, 0, after)


def test_a_newer_keystroke_cancels_the_check_in_flight(lab, page):
    name = lab.write_notebook("stale.ipynb", [EDGE_CELL])
    lab.open(page, name, kernel=False)
    wait_languages(page, ["typescript"])
    held, failed, release = [], [], []

    def hold(route) -> None:
        if release:
            route.continue_()
        else:
            held.append(route)

    page.on("requestfailed", lambda r: failed.append(r.failure) if "/nbruntime/check" in r.url else None)
    page.route(lambda url: "/nbruntime/check" in url, hold)
    editor(page, 0).click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nconst x = eval('1')")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1  # the check of that text is in flight (held here) when the next key comes
    page.keyboard.type(";")
    for _ in range(100):
        if failed:
            break
        page.wait_for_timeout(50)
    assert failed  # the stale request was cancelled by the page, not just ignored
    release.append(True)
    for route in held[1:]:
        route.continue_()
    wait_squiggles(page, 0, expected_squiggles(EDGE_CELL + "\nconst x = eval('1');"))


def test_diagnostics_and_highlighting_work_in_notebook_7(lab, page):
    edge = f"%%edge {PATH}\nimport fs from 'node:fs'\n{EDGE_BODY}"
    name = lab.write_notebook("nb7.ipynb", [edge, "import os"])
    page.goto(f"{lab.url}/notebooks/{name}")
    page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content", timeout=60_000)
    wait_languages(page, ["typescript", "python"])
    assert [s.split()[0] for s in expected_squiggles(edge)] == ["'node:fs'"]
    wait_squiggles(page, 0, expected_squiggles(edge))


# A cell importing a package, and calling process.cwd(), whose warning shows the check has been answered.
PACKAGE_CELL = f"""%%edge {PATH}
import {{ greet }} from 'tiny-greet'
export function GET(): Response {{
  return new Response(greet(process.cwd()))
}}"""


def test_packages_are_looked_for_in_the_notebooks_own_project_folder(lab, page):
    # shop/ is a project whose node_modules has the package; its notebook sits a folder below, as in a real app
    shop = lab.root / "shop"
    package = shop / "node_modules" / "tiny-greet"
    package.mkdir(parents=True)
    (package / "package.json").write_text('{"name": "tiny-greet", "version": "1.0.0", "type": "module", '
                                          '"exports": "./index.js"}')
    (package / "index.js").write_text("export const greet = (name) => `hi ${name}`\n")
    (shop / "package.json").write_text('{"dependencies": {"tiny-greet": "1.0.0"}}')
    (shop / "notebooks").mkdir()
    (lab.root / "elsewhere").mkdir()
    installed = lab.write_notebook("shop/notebooks/installed.ipynb", [PACKAGE_CELL])
    missing = lab.write_notebook("elsewhere/missing.ipynb", [PACKAGE_CELL])

    def expected(folder: Path) -> list[str]:
        found = sorted(diagnostics(PACKAGE_CELL, project_folder(folder))["problems"], key=lambda p: p["from"])
        return [f"{PACKAGE_CELL[p['from']:p['to']]} {p['rule']}" for p in found]  # in the order the page has them

    assert [s.split()[-1] for s in expected(shop / "notebooks")] == ["process-function"]
    assert [s.split()[-1] for s in expected(lab.root / "elsewhere")] == ["ModuleNotFound", "process-function"]
    assert expected(lab.root) == expected(lab.root / "elsewhere")  # the server's root has no node_modules either
    lab.open(page, missing, kernel=False)
    wait_squiggles(page, 0, expected(lab.root / "elsewhere"))
    lab.open(page, installed, kernel=False)
    wait_squiggles(page, 0, expected(shop / "notebooks"))


@pytest.fixture(autouse=True)
def _no_console_errors(page):
    """The extension logs nothing alarming in the browser console while it works."""
    yield
    assert not [m for m in page.console_messages if "nbruntime" in m and m.startswith(("error", "warning"))]
