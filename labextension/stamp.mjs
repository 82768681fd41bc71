// Records which sources the committed build was made from: a SHA-256 over package.json, tsconfig.json,
// src/ and style/ (each file as its relative path, a newline, its bytes, a newline, in path order).
// tests/test_labextension_build.py recomputes it, so CI fails when the build is older than its sources.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const files = ['package.json', 'tsconfig.json'];
for (const dir of ['src', 'style']) {
  for (const entry of readdirSync(join(here, dir), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      files.push(join(entry.parentPath, entry.name).slice(here.length + 1).split('\\').join('/'));
    }
  }
}
files.sort();
const hash = createHash('sha256');
for (const file of files) {
  hash.update(`${file}\n`);
  hash.update(readFileSync(join(here, file)));
  hash.update('\n');
}
const output = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')).jupyterlab.outputDir;
writeFileSync(join(here, output, 'sources.sha256'), `${hash.digest('hex')}\n`);
