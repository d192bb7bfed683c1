#!/usr/bin/env node
import { endWhenStdoutCloses } from './lifecycle.js';
import { createProgram } from './program.js';
import { reportError } from './report-error.js';

endWhenStdoutCloses();

createProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    // stderr is synchronous for files, pipes and terminals on Linux: the line is out before exit.
    process.exit(reportError(err));
  });
