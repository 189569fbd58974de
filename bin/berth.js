#!/usr/bin/env node
// The `berth` command: runs the compiled CLI (npm ci builds it into dist/).
import '../dist/core/cli/main.js';
