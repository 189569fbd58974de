/**
 * The layering Berth keeps (checked by `npm run lint`, which `npm test` runs):
 *
 *   renderer/  ──▶ core/control/protocol.ts (types) and core/shared/ (browser-safe code), nothing else of core/
 *   electron/  ──▶ core/ (the engine in a utility process, the protocol)
 *   core/ top: engine.ts, control/, cli/, ui/      ──▶ app/ and below
 *   core/app/                                      ──▶ below
 *   below app: proxy/, logs/, worker/, watch/, config/, platform/, debug/, iis/, metrics/, registry/, util/, shared/, tls/
 *   core/shared/: browser-safe (no node: modules); imports only itself and core/control/protocol.ts
 *
 * core/ never imports electron, vue or the renderer (it runs in plain Node and in Electron's utility process; its
 * tsconfig has no DOM library, so DOM globals do not compile there either). proxy/, logs/ and worker/ are three
 * separate mechanisms that meet only in app/: none imports another's modules.
 */
const BELOW_APP = '^core/(proxy|logs|worker|watch|config|platform|debug|iis|metrics|registry|util|shared|tls)/|^core/(routing|events|home|version)\\.ts$';

/**
 * The two layers that run in a browser page (the renderer, and core/shared/ which it imports) keep the same rules:
 * they import themselves, the control protocol (types and constants) and core/shared/, nothing else of Berth's, and
 * no node: module. One generator, so the two cannot drift apart.
 */
function browserLayer(layer, from, why) {
  return [
    {
      name: `${layer}-sees-protocol-and-shared-only`,
      severity: 'error',
      comment: `${why}: it may use the control protocol's types and the browser-safe shared layer, nothing else from core/, electron/ or renderer/.`,
      from: { path: from },
      to: { path: '^(core|electron|renderer)/', pathNot: `${from}|^core/shared/|^core/control/protocol\\.ts$` },
    },
    {
      name: `${layer}-has-no-node-modules`,
      severity: 'error',
      comment: `${why}: no node: modules.`,
      from: { path: from },
      to: { dependencyTypes: ['core'] },
    },
  ];
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle makes load order matter and hides which module owns what.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-plain-node',
      severity: 'error',
      comment: 'core/ runs in plain Node (berth serve, tests) and in Electron\'s utility process: no electron, vue, pinia, renderer or electron/ code.',
      from: { path: '^core/' },
      to: { path: '^(electron|renderer)/|(^|/)node_modules/(electron|vue|pinia|@vue)/' },
    },
    {
      name: 'below-app-stays-below',
      severity: 'error',
      comment: 'The mechanisms under app/ take callbacks; they never reach up into App, the Engine, the control API or the CLI.',
      from: { path: BELOW_APP, pathNot: '^core/shared/' },
      to: { path: '^core/(app/|engine|control/|cli/|ui/)' },
    },
    ...browserLayer('shared', '^core/shared/', 'core/shared/ runs in the browser too (the renderer and the dashboard import it)'),
    {
      name: 'proxy-logs-worker-apart',
      severity: 'error',
      comment: 'The proxy, log capture and worker processes meet only in app/: none imports another\'s modules.',
      from: { path: '^core/(proxy|logs|worker)/' },
      to: { path: '^core/(proxy|logs|worker)/', pathNot: '^core/$1/' },
    },
    ...browserLayer('renderer', '^renderer/', 'The UI runs in a browser page'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|test/frameworks)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.cts', '.vue', '.js', '.cjs'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
