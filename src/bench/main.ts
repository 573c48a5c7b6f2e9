// `npm run bench`: every figure of issues #6 and #13 against Serf, etcd, bare echo servers and
// the Java NameServer, then bench/results/<timestamp>.json, bench/results/latest.md and the SVG
// charts in docs/perf/. Flags: --quick (a smoke run), --only=1,2,... (figures to run),
// --base=<json> (figures not re-run are taken from it), --no-write.
import { runBench } from "./run.js";

await runBench(process.argv.slice(2));
