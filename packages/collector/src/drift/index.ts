/**
 * Drift monitors: features read from stored calls, seeded sampling, runs stored for the
 * `drift` alert rules, a scheduler, and reports (HTML with inline SVG, and JSON).
 * Nothing here opens files or sockets at import time.
 */

export * from './cli.js';
export * from './compare.js';
export * from './feature-source.js';
export * from './features.js';
export * from './monitor.js';
export * from './monitors.js';
export * from './postgres-drift-store.js';
export * from './postgres-feature-source.js';
export * from './report.js';
export * from './sqlite-drift-store.js';
export * from './sqlite-feature-source.js';
export * from './wiring.js';
