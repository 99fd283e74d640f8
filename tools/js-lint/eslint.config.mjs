// ESLint for the browser code: consoles, kiosk screen, lobby board, status page, API docs start-up.
// Run by `make lint` from the repository root: eslint --config tools/js-lint/eslint.config.mjs (paths
// below are relative to the root).
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["**/node_modules/**", ".venv/**", "tests/output/**", "var/**"] },
  js.configs.recommended,
  {
    files: ["server/**/*.js", "display/**/*.js", "kiosk/static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      "no-unused-vars": ["error", { args: "none", caughtErrors: "none" }],
    },
  },
];
