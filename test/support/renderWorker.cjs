// The render worker from source, for tests: registers tsx in the worker thread, then runs
// src/core/render/renderWorker.ts (VS Code runs the bundled dist/renderWorker.js instead).
/* global require */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS worker entry */
require('tsx/cjs/api').register();
require('../../src/core/render/renderWorker.ts');
