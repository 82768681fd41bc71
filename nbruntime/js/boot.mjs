// What the host was started with: its pipes and options, read before any other module of the host loads.
const option = (name) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=').slice(1).join('=');

// The protocol's pipes are ours (the main thread writes its frames to one; the holder thread reads the kernel's
// cancels from the other), and the compile cache is Node's, read as it started: user code sees neither in process.env.
const [main, holder] = (process.env.NBRUNTIME_FDS ?? '').split(',').map(Number);
delete process.env.NBRUNTIME_FDS;
delete process.env.NODE_COMPILE_CACHE;

export const boot = {
  pipes: { main, holder },
  // npm packages are looked for from --packages-root (the notebook's project folder), else the app's folder.
  packagesRoot: option('packages-root') ?? process.cwd(),
  // Each edge entry is held to this memory limit (MB), as on edge platforms; a request's CPU budget is its time limit.
  memoryMb: Number(option('edge-memory-mb') ?? 128),
  budgetMs: Number(option('timeout-ms') ?? 25_000),
  // How long the kernel waits for a cancel to be confirmed before it ends the host (--cancel-grace-ms).
  cancelGraceMs: Number(option('cancel-grace-ms') ?? 2_000),
  // An edge cell is on its way (--edge): the edge runtime is set up as soon as the host is ready.
  edge: process.argv.includes('--edge'),
};
