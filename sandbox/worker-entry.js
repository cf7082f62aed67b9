// The sandbox worker's entry. A worker thread does not inherit the main thread's loader.
// Run from the sources, the worker is TypeScript, so tsx is registered here first;
// compiled (dist/, where no worker.ts sits beside this file), it is JavaScript, and the
// first module file imported registers tsx for itself (core/ts-loader.ts).
import fs from 'node:fs';

if (fs.existsSync(new URL('./worker.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import('./worker.ts');
