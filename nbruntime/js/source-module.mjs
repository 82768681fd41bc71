// A module of source text, compiled outside V8's compilation cache. V8 keeps a compiled script there (its top-level
// function, which holds the script) until that function's bytecode is flushed, and a module's never is; Node gives
// each vm module a host-defined option of its own (a symbol that leads back to the module, its context and the
// callbacks that made it), so an entry is never found again, and it kept every module ever made alive: its context
// (a whole edge realm, for a module of one) and its module-scope values, for each version of each deployed cell.
// Nothing is lost: no other module could have used the entry. The flag is the process's: a script another thread
// compiles in that instant is not cached either (compiled again if it comes again), and a module compiled while
// another thread turns the flag back on is kept as before, until V8's next memory-reducing collection.
import v8 from 'node:v8';
import vm from 'node:vm';

export function compileModule(code, options) {
  v8.setFlagsFromString('--no-compilation-cache');
  try {
    return new vm.SourceTextModule(code, options);
  } finally {
    v8.setFlagsFromString('--compilation-cache');
  }
}
