// `npm run bench`: every figure of issue #6 against Serf, etcd and bare echo servers, then
// bench/results/<timestamp>.json, bench/results/latest.md and the SVG charts in docs/perf/.
// Flags: --quick (a smoke run of about 3 minutes), --only=1,2,... (figures to run), --no-write.
import { runBench } from "./run.js";

await runBench(process.argv.slice(2));
