import v8 from 'node:v8';

/**
 * How far V8 lets the old generation grow past what the last full collection kept, before it
 * starts the next one: four times, V8's own upper bound, instead of the factor it picks by
 * itself (about 1.6 here).
 *
 * Why: under steady traffic a good deal of what the server allocates outlives two
 * young-generation collections and dies in the old generation. Part of it is known: every
 * case's latest state, kept in memory and replaced on each command. Where the rest comes
 * from is measured but not yet explained (bench/RESULTS.md, eighth session). On the bench at
 * half its saturation rate (1,000 cases, 2,500 messages a second, the server on one core)
 * that came to about 12 MB of old garbage a second, and with V8's own factor to a full
 * collection every 4 s. Each one marks concurrently for about 100 ms; on a server with one core to itself
 * the marking threads take that core from the event loop, the flushes' callbacks wait, and
 * one collection left deliveries late by up to 150-180 ms. With this setting a bench run
 * has half as many full collections, and delivery p99 at that rate went from 119-149 ms
 * (six runs) to 31-51 ms (eight runs, median 33; bench/RESULTS.md, eighth session). Peak
 * memory under that load did not change (420 MB for 5,000 connections, the peak being set
 * by the saturation phase), and the heap kept per idle connection is the same.
 *
 * Process-wide: it is a V8 flag. A `--heap-growing-percent` given on node's own command line
 * is left as it is.
 */
export const HEAP_GROWING_PERCENT = 300;

export function tuneHeap(): void {
  if (process.execArgv.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'))) return;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
