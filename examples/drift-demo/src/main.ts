// One command: `npm start -w @pilotlight/example-drift-demo` (or `npm start` here).
// Starts a local collector, sends reference then shifted traffic, lets drift monitors catch the
// shift, prints the alerts that reached the webhook and where the drift report was written.
import path from 'node:path';
import { runDriftDemo } from './demo.js';

const outDir = path.resolve(process.env.DRIFT_DEMO_OUT ?? 'drift-demo-out');
const result = await runDriftDemo({ outDir, log: (line) => console.log(`  ${line}`) });

const firing = result.notifications.filter((n) => n.body.event === 'alert.firing');
console.log('');
console.log(
  firing.length > 0
    ? `✔ ${firing.length} drift alert(s) fired: ${firing.map((n) => n.body.rule.name ?? n.body.rule.id).join(', ')}`
    : '✖ no drift alert fired',
);
console.log(`  report: ${result.reportHtmlPath}`);
console.log(`  json:   ${result.reportJsonPath}`);
if (firing.length === 0) process.exitCode = 1;
