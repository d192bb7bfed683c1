import { describe, expect, it } from 'vitest';
import { workerExecArgv } from '../../../src/util/worker-exec-argv.js';

describe('workerExecArgv', () => {
  it('passes the process flags on but --input-type, in either spelling', () => {
    expect(workerExecArgv(['--input-type=module', '--max-old-space-size=512'])).toEqual(['--max-old-space-size=512']);
    expect(workerExecArgv(['--input-type', 'module', '--enable-source-maps'])).toEqual(['--enable-source-maps']);
    expect(workerExecArgv([])).toEqual([]);
  });
});
