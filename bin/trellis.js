#!/usr/bin/env node
// The published entry point: the compiled CLI lives in dist/ (`npm run build`).
import "../dist/src/cli/main.js";
