/** Runs `runRepriceCommand` in a child process (as `pilotlight reprice` will), for the concurrency tests. */
import { runRepriceCommand } from '../src/prices/cli.js';

process.exitCode = await runRepriceCommand(process.argv.slice(2), process.env);
