// The Node.js host: one process per nbruntime App. With --edge, its edge thread starts first, so that it boots while
// the main thread loads its own modules (main.mjs).
import { startEarly } from './edge-start.mjs';

if (process.argv.includes('--edge')) startEarly();
await import('./main.mjs');
