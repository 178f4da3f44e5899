/**
 * Import directions hoist keeps (checked by `npm test`): the engine never
 * names a module; the transport knows nothing of modules or runs; modules
 * and facts see only the contract; product code never imports tests, and
 * the lab only on demand; no runtime import cycles. It reads the compiled
 * JavaScript in dist/ (tsc keeps the tree; type-only imports are gone, so
 * only runtime imports count), since dependency-cruiser does not read
 * TypeScript 7.
 */
module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", comment: "a runtime import cycle", from: {}, to: { circular: true } },
    { name: "engine-names-no-module", severity: "error", comment: "the engine finds modules by file (registry.ts), never by import", from: { path: "^dist/engine/" }, to: { path: "^dist/(modules|facts)/" } },
    {
      name: "connection-is-transport-only",
      severity: "error",
      comment: "connection/ runs commands; it does not know modules, plans, runs or output",
      from: { path: "^dist/engine/connection/" },
      to: { path: "^dist/engine/(load|run|template|host|report|cli)/|^dist/engine/(module|fact|projection)\\.js$" },
    },
    {
      name: "modules-see-the-contract",
      severity: "error",
      comment: "modules and facts import the contract (module.ts, fact.ts, projection.ts, errors.ts, shell.ts), not the engine's insides",
      from: { path: "^dist/(modules|facts)/" },
      to: { path: "^dist/engine/(load|run|template|host|report|cli|connection)/" },
    },
    {
      name: "drift-is-a-client-of-runs",
      severity: "error",
      comment: "drift reports are built from a run's outcome; the run itself never loads them (start-up stays lean)",
      from: { path: "^dist/engine/(load|run|template|host|report|connection)/" },
      to: { path: "^dist/engine/(drift/|cli/drift)" },
    },
    { name: "product-never-imports-tests", severity: "error", from: { path: "^dist/(engine|modules|facts|lab|bench)/" }, to: { path: "^dist/test/" } },
    {
      name: "lab-only-on-demand",
      severity: "error",
      comment: "the product CLI loads the lab only for `hoist lab`",
      from: { path: "^dist/(engine|modules|facts)/" },
      to: { path: "^dist/(lab|bench)/", dependencyTypesNot: ["dynamic-import"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "validators\\.cjs$" },
  },
};
