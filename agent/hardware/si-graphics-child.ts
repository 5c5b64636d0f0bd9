/**
 * Child-process entry: prints systeminformation's `graphics()` as JSON on stdout. It runs in its
 * own process because systeminformation calls nvidia-smi synchronously with no timeout; the
 * agent runs this with a timeout instead (see desktop-sources.ts).
 */
import si from 'systeminformation';

const graphics = await si.graphics();
process.stdout.write(
  JSON.stringify({ controllers: graphics.controllers, displays: graphics.displays }),
);
