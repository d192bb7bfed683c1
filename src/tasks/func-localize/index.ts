import { defineTask } from '../define-task.js';
import { generateFuncLocalize } from './generate.js';
import { funcLocalizeOracle } from './oracle.js';
import { funcLocalizePrompt } from './prompt.js';
import { FuncLocalizeInstanceSchema, type FuncLocalizeInstance } from './schema.js';
import { verifyFuncLocalize } from './verify.js';
import { funcLocalizeWorkspace } from './workspace.js';

/** Function localization with docstring writing: find a definition from its description, document it. */
export const funcLocalizeTask = defineTask<FuncLocalizeInstance>({
  name: 'func-localize',
  version: 0,
  description: 'Find a function, method or class from a description and write its docstring, changing nothing else.',
  instanceSchema: FuncLocalizeInstanceSchema,
  generate: (options) => generateFuncLocalize(options as Parameters<typeof generateFuncLocalize>[0]),
  generateInputs: ['imageContents', 'progress'],
  workspace: funcLocalizeWorkspace,
  prompt: funcLocalizePrompt,
  verify: (instance, final, ctx) => verifyFuncLocalize(instance, final, ctx),
  oracle: funcLocalizeOracle,
});

export { generateFuncLocalize, FuncLocalizeOptionsSchema, type FuncLocalizeOptions } from './generate.js';
export { FuncLocalizeInstanceSchema, type FuncLocalizeInstance, type FuncLocalizeTarget } from './schema.js';
export type { DescribeHook } from './describe.js';
