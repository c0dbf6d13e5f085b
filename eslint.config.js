import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The floors of src/, lowest first; a folder imports only from floors below
 * its own (and from itself). Folders sharing a floor are peers that do not
 * import each other. See README "How it is built".
 */
const FLOORS = [
  ['errors.ts'],
  ['util'],
  ['oci'],
  ['tar'],
  ['ref'],
  ['repository'],
  ['transports', 'testing'],
  ['copy', 'server'],
  ['signature'],
  ['api'],
  ['sync'],
  ['mirror'],
  ['k8s', 'release'],
  ['cli'],
];

/** A relative import that reaches `name` at the top of src/ (`../sync/x.ts`, `../../errors.ts`). */
const reaching = (names) => `^(\\.\\./)+(${names.map((n) => n.replace('.', '\\.')).join('|')})(/|$)`;

const layerRules = FLOORS.flatMap((floor, i) => {
  const above = FLOORS.slice(i + 1).flat();
  return floor.map((folder) => {
    const peers = floor.filter((f) => f !== folder);
    const forbidden = [...above, ...peers, 'index.ts'];
    const patterns = [{ regex: reaching(forbidden), message: `${folder} sits below ${forbidden.join(', ')}: import downward only (README "How it is built").` }];
    if (folder === 'server') patterns.push({ regex: '^(\\.\\./)+transports/registry/', message: 'the server serves storage; it never uses the registry client.' });
    if (folder === 'cli') {
      patterns.push({ regex: '^(\\.\\./)+transports/(?!transport-table\\.ts$)', message: 'the CLI uses the library\'s public functions (src/api, sync, mirror, k8s), not transport internals (the transport table is public).' });
      // One way to read a command line: commander's typed options (src/cli/typed-options.ts).
      patterns.push({ regex: '^commander$', message: "import '@commander-js/extra-typings': options are read typed, never cast." });
    }
    return { files: [folder.endsWith('.ts') ? `src/${folder}` : `src/${folder}/**`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
  });
});

/**
 * Transports never import each other, except the one each is built on: an
 * oci-archive is a tarred layout; a local engine's images come and go as
 * docker save tars; containers-storage talks to Podman through the Engine API
 * client of docker-daemon.
 */
const TRANSPORTS = ['registry', 'layout', 'dir', 'docker-archive', 'oci-archive', 'docker-daemon', 'containers-storage', 'oc-disk'];
const BUILT_ON = { 'oci-archive': ['layout'], 'docker-daemon': ['docker-archive'], 'containers-storage': ['docker-daemon'] };
const transportRules = TRANSPORTS.map((transport) => {
  const others = TRANSPORTS.filter((t) => t !== transport && !(BUILT_ON[transport] ?? []).includes(t));
  return {
    files: [`src/transports/${transport}/**`],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { regex: reaching(FLOORS.slice(FLOORS.findIndex((f) => f.includes('transports')) + 1).flat().concat('testing', 'index.ts')), message: 'transports sit below copy, server, api, sync, mirror, k8s and cli.' },
        { regex: `^(\\.\\./)+(${others.join('|')})/`, message: `the ${transport} transport does not import other transports; shared code goes below (tar/, util/) or beside the table.` },
      ] }],
    },
  };
});

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.cache/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error'],
    },
  },
  {
    // The CLI, scripts, benchmarks and tests are where output to the console belongs.
    files: ['src/cli/**', 'scripts/**', 'bench/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  ...layerRules,
  ...transportRules,
  {
    // Tests are not a floor of the library (they are not shipped): a unit test may drive its code through any floor.
    files: ['src/**/*.test.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
