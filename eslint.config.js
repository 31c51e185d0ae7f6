// ESLint: type-aware TypeScript rules, and the layering that keeps the core pure (see
// docs/architecture.md). Formatting is prettier's job (.prettierrc.json); this file has none.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import globals from "globals";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

// What each layer may not import. The core is pure: no I/O, no Node built-ins, no UI, no
// processes. The UI reads a store and draws it: no adapters. Use cases (app/) do their I/O
// through adapters, never by hand.
const NODE = {
  group: ["node:*"],
  message: "src/core is pure: do I/O in src/adapters and pass data in (path arithmetic: pathe)",
};
const IO_PACKAGES = ["ink", "ws", "pino", "execa", "react", "ink-*"].map((name) => ({
  name,
  message: `src/core is pure: ${name} belongs in src/adapters or src/ui`,
}));
const boundaries = {
  core: {
    patterns: [
      NODE,
      {
        group: ["**/adapters/**", "**/app/**", "**/ui/**", "**/cli/**"],
        message: "src/core depends on nothing outside src/core",
      },
    ],
    paths: IO_PACKAGES,
  },
  ui: {
    patterns: [
      {
        group: ["**/adapters/**"],
        message: "src/ui only reads a store: data from adapters reaches it through src/app",
      },
    ],
  },
  app: {
    patterns: [
      {
        group: ["**/ui/**", "**/cli/**"],
        message: "src/app holds use cases: the CLI and the UI call it, not the other way",
      },
    ],
    paths: ["node:fs", "node:fs/promises", "node:child_process", "execa"].map((name) => ({
      name,
      message: `src/app does its I/O through src/adapters (${name})`,
    })),
  },
  adapters: {
    patterns: [
      {
        group: ["**/app/**", "**/ui/**", "**/cli/**"],
        message: "src/adapters are thin: they serve src/app, not call it",
      },
    ],
  },
};
const restrict = (layer) => ({
  files: [`src/${layer}/**/*.{ts,tsx}`],
  rules: { "no-restricted-imports": ["error", boundaries[layer]] },
});
// src/core/interop reads and writes foreign formats (axolotl, LLaMA-Factory, TRL's CLI) on top
// of the recipe core; the rest of the core never depends on it. (A second entry for the same
// files replaces the rule, so it repeats the core's own restrictions.)
const coreOutsideInterop = {
  files: ["src/core/**/*.{ts,tsx}"],
  ignores: ["src/core/interop/**"],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        ...boundaries.core,
        patterns: [
          ...boundaries.core.patterns,
          {
            group: ["**/interop/**"],
            message: "src/core/interop is built on the recipe core: the rest of src/core does not import it",
          },
        ],
      },
    ],
  },
};

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "**/*.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "warn",
      // node:test's describe/it return promises the runner itself awaits.
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            {
              from: "package",
              package: "node:test",
              name: ["describe", "it", "test", "suite", "before", "after", "beforeEach", "afterEach"],
            },
          ],
        },
      ],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          caughtErrors: "none",
        },
      ],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-expressions": ["error", { allowShortCircuit: true, allowTernary: true }],
      // An async function that implements an async interface need not await anything.
      "@typescript-eslint/require-await": "off",
      // Terminal escape sequences are what these regexes are for (the dashboard strips them).
      "no-control-regex": "off",
      // The stores hand React arrow functions (subscribe, getSnapshot), which carry no `this`.
      "@typescript-eslint/unbound-method": "off",
    },
  },
  {
    // Tests read JSON files they wrote themselves; asserting on them is the check.
    files: ["test/**/*.{ts,tsx}"],
    rules: Object.fromEntries(
      ["assignment", "member-access", "argument", "call", "return"].map((r) => [
        `@typescript-eslint/no-unsafe-${r}`,
        "off",
      ]),
    ),
  },
  {
    // CommonJS on purpose: bin/trellis.js answers --help and --version, and starts a run's Python, from these without Node's
    // ESM loader (issue 12: a start-up under 150 ms).
    files: ["bin/**/*.js", "src/**/*.cts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  restrict("core"),
  coreOutsideInterop,
  restrict("ui"),
  restrict("app"),
  restrict("adapters"),
  {
    // A use case reads as a few named steps (issue 31): a function longer than a screen is split by meaning.
    files: ["src/app/**/*.ts"],
    rules: { "max-lines-per-function": ["error", { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ["**/*.{js,mjs}"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  prettier,
);
